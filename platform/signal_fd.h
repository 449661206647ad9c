/* The signals a service stops (or reloads) on, read from a signalfd in its poll() loop. */
#ifndef SW_SIGNAL_FD_H
#define SW_SIGNAL_FD_H

#include <stdbool.h>

/* Block the signals of the 0-terminated list signals, and SIGPIPE too when block_sigpipe (a
 * write to a closed socket then fails with EPIPE instead of killing the process), and open a
 * non-blocking, close-on-exec signalfd that reads those of the list. The fd, or -errno. */
int sw_signal_fd_open(const int *signals, bool block_sigpipe);

#endif
