/*
 * pysec_daemon.h: the daemon, `git pysec serve` (daemon/): warm scans for
 * the pre-receive hooks of this machine over a Unix socket (the protocol
 * is pysec_proto.h), and reviews from forge webhooks, queued durably.
 *
 * Its settings are read from a file in git-config syntax (README, "The
 * daemon"); the command line overrides a few of them.
 */
#ifndef PYSEC_DAEMON_H
#define PYSEC_DAEMON_H

/* Overrides from the command line, applied over the file; NULL or 0: the file's. */
typedef struct {
	const char *config;	/* the file (default: the system policy) */
	const char *socket;
	const char *listen;
	const char *queue_db;
	const char *port_file;	/* write the HTTP port here once listening */
	int check;		/* read the configuration, report, and exit */
} pysec_serve_options;

/*
 * Run the daemon until SIGTERM (or, with `check`, read the configuration,
 * say what it holds and return).  Returns the process's exit code.
 */
int pysec_serve(const pysec_serve_options *o);

#endif
