#ifndef LABCHECK_CLIBCRYPTO_SHIM_H
#define LABCHECK_CLIBCRYPTO_SHIM_H
/* OpenSSL's EVP digests (libssl-dev, which libgit2-dev already depends on through
   libssh2-1-dev): hardware-accelerated SHA-1 for git blob ids of work-tree files. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#endif
