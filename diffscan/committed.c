/*
 * committed.c: a configuration file read from a commit's tree.
 */
#include "committed.h"
#include "error.h"

int committed_file_read(git_blob **out, git_repository *repo, const git_oid *commit, const char *path, size_t max)
{
	git_commit *cm = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	int rc = 0;

	*out = NULL;
	if (git_commit_lookup(&cm, repo, commit) < 0 || git_commit_tree(&tree, cm) < 0) {
		rc = error_from_git(PYSEC_EREPO, "cannot read the pushed tree");
		goto cleanup;
	}
	if (git_tree_entry_bypath(&entry, tree, path) < 0) {
		git_error_clear();
		rc = error_set(PYSEC_ENOTFOUND, "no %s in the tree", path);
		goto cleanup;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB || git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK ||
	    git_blob_lookup(out, repo, git_tree_entry_id(entry)) < 0) {
		git_error_clear();
		rc = error_set(PYSEC_EINVALID, "%s in the pushed tree is not a file", path);
		goto cleanup;
	}
	if (git_blob_rawsize(*out) > (git_object_size_t)max) {
		rc = error_set(PYSEC_EINVALID, "%s in the pushed tree is over %zu KiB", path, max / 1024);
		git_blob_free(*out);
		*out = NULL;
	}
cleanup:
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(cm);
	return rc;
}
