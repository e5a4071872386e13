#ifndef LABCHECK_CLIBGIT2_SHIM_H
#define LABCHECK_CLIBGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/repository.h>
#include <git2/sys/mempack.h>

/* git_libgit2_opts is C-variadic and cannot be called from Swift: wrap what we use. */
static inline int labcheck_git_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}
/* Whether every object read is hashed again and compared with its id (libgit2's default: on). */
static inline int labcheck_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}
#endif
