#ifndef LABCHECK_CLIBGIT2_SHIM_H
#define LABCHECK_CLIBGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/repository.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

/* git_libgit2_opts is C-variadic and cannot be called from Swift: wrap what we use. */
static inline int labcheck_git_set_owner_validation(int enabled) {
    return git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, enabled);
}
/* Whether every object read is hashed again and compared with its id (libgit2's default: on). */
static inline int labcheck_git_set_strict_hash_verification(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, enabled);
}
/* Stores a tree whose id the caller computed in an object database backend (a mempack),
   without libgit2 hashing it again or asking every other backend whether it exists. */
static inline int labcheck_backend_write_tree(git_odb_backend *backend, const git_oid *id, const void *data, size_t length) {
    return backend->write(backend, id, data, length, GIT_OBJECT_TREE);
}
#endif
