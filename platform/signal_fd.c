/* signalfd(2): signal handling as a file the poll() loop reads, no handler at all. */
#include "platform/signal_fd.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>

int sw_signal_fd_open(const int *signals, bool block_sigpipe)
{
        sigset_t mask;
        sigemptyset(&mask);
        for (const int *sig = signals; *sig; sig++)
                sigaddset(&mask, *sig);
        if (block_sigpipe)
                sigaddset(&mask, SIGPIPE);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        if (block_sigpipe)
                sigdelset(&mask, SIGPIPE); /* blocked, never read */
        int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        return fd < 0 ? -errno : fd;
}
