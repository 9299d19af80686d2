#ifndef AEQ_FILE_CLEANUP_H
#define AEQ_FILE_CLEANUP_H

// Files to delete when the process is stopped by SIGINT, SIGTERM or SIGHUP: the hidden
// partial files of outputs being written. Registering copies the path (outside the signal
// handler); the handler only unlinks, then stops the process as the signal would have.

/// Remembers `path`; returns its slot for `aeq_cleanup_remove`, or -1 when all slots are taken
/// (the file is then not removed on a signal).
int aeq_cleanup_add(const char *path);

/// Forgets the path in `slot` (after the file was renamed into place or deleted); -1 is ignored.
void aeq_cleanup_remove(int slot);

/// Installs the handlers for SIGINT, SIGTERM and SIGHUP (once; later calls do nothing).
void aeq_cleanup_install_handlers(void);

#endif
