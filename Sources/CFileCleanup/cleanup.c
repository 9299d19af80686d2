#include "CFileCleanup.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// A catalogue renders up to 256 files at once, each with an output and a scratch file.
#define SLOTS 1024

static _Atomic(char *) slots[SLOTS];
static atomic_int installed;

int aeq_cleanup_add(const char *path) {
    char *copy = strdup(path);
    if (!copy) return -1;
    for (int i = 0; i < SLOTS; i++) {
        char *expected = NULL;
        if (atomic_compare_exchange_strong(&slots[i], &expected, copy)) return i;
    }
    free(copy);
    return -1;
}

void aeq_cleanup_remove(int slot) {
    if (slot < 0 || slot >= SLOTS) return;
    free(atomic_exchange(&slots[slot], NULL));
}

// Async-signal-safe: atomic exchanges, unlink, sigaction and raise only. The copies are not
// freed here (free is not safe in a handler); the process ends right after.
static void on_stop(int sig) {
    for (int i = 0; i < SLOTS; i++) {
        char *path = atomic_exchange(&slots[i], NULL);
        if (path) unlink(path);
    }
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(sig, &fallback, NULL);
    raise(sig);
}

void aeq_cleanup_install_handlers(void) {
    if (atomic_exchange(&installed, 1)) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop;
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, SIGINT);
    sigaddset(&action.sa_mask, SIGTERM);
    sigaddset(&action.sa_mask, SIGHUP);
    const int signals[] = { SIGINT, SIGTERM, SIGHUP };
    sigset_t blocked;
    sigemptyset(&blocked);
    for (int i = 0; i < 3; i++) {
        struct sigaction previous;
        // A signal the parent set to be ignored (nohup, a shell's background job) stays ignored.
        if (sigaction(signals[i], NULL, &previous) == 0 && previous.sa_handler == SIG_IGN) continue;
        sigaction(signals[i], &action, NULL);
        sigaddset(&blocked, signals[i]);
    }
    // A mask inherited from a threaded parent (one that spawns from a thread with signals
    // blocked) would otherwise hold these signals until the render ends. Threads started from
    // here on inherit the unblocked mask.
    pthread_sigmask(SIG_UNBLOCK, &blocked, NULL);
}
