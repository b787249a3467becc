/*
 * cmd_serve.c: `git pysec serve`, the daemon: warm scans for the
 * pre-receive hooks of this machine, and reviews from forge webhooks.
 * The daemon itself is daemon/; this only reads the flags.
 */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "pysec_daemon.h"

static const char usage[] =
	"usage: git pysec serve [options]\n"
	"\n"
	"Run the pysec daemon: pre-receive hooks whose policy names pysec.daemonSocket\n"
	"send their pushes here (rules compiled once, blob results cached), and GitLab\n"
	"merge request / Gitea and GitHub pull request webhooks become reviews, queued\n"
	"durably.\n"
	"Settings live in the system policy file (see README, \"The daemon\").\n"
	"SIGHUP reloads the configuration and rules; SIGTERM finishes the work in flight and stops.\n"
	"\n"
	"  --config FILE      the configuration (default: $PYSEC_CONFIG or " PYSEC_SYSCONFDIR "/pysec.conf)\n"
	"  --socket PATH      the hooks' Unix socket (pysec.daemonSocket)\n"
	"  --listen HOST:PORT the webhook listener (pysec.daemon.listen); port 0 picks a free one\n"
	"  --queue-db FILE    the job queue (pysec.daemon.queueDb)\n"
	"  --port-file FILE   write the HTTP port there once listening\n"
	"  --check            read the configuration, say what it holds, and exit\n";

enum { OPT_CONFIG = 1, OPT_SOCKET, OPT_LISTEN, OPT_QUEUE_DB, OPT_PORT_FILE, OPT_CHECK, OPT_HELP };

static const struct cli_option options[] = {
	{ "config", 0, 1, OPT_CONFIG },
	{ "socket", 0, 1, OPT_SOCKET },
	{ "listen", 0, 1, OPT_LISTEN },
	{ "queue-db", 0, 1, OPT_QUEUE_DB },
	{ "port-file", 0, 1, OPT_PORT_FILE },
	{ "check", 0, 0, OPT_CHECK },
	{ "help", 'h', 0, OPT_HELP },
};

int cmd_serve(int argc, char **argv)
{
	struct cli_options o;
	pysec_serve_options f;
	int id;

	memset(&f, 0, sizeof(f));
	cli_options_init(&o, "serve", options, ARRAY_SIZE(options), argc, argv);
	while ((id = cli_options_next(&o)) > 0) {
		switch (id) {
		case OPT_CONFIG: f.config = o.value; break;
		case OPT_SOCKET: f.socket = o.value; break;
		case OPT_LISTEN: f.listen = o.value; break;
		case OPT_QUEUE_DB: f.queue_db = o.value; break;
		case OPT_PORT_FILE: f.port_file = o.value; break;
		case OPT_CHECK: f.check = 1; break;
		case OPT_HELP:
			fputs(usage, stdout);
			cli_options_clear(&o);
			return EXIT_CLEAN;
		}
	}
	if (id < 0 || o.noperands) {
		fputs(usage, stderr);
		cli_options_clear(&o);
		return EXIT_USAGE;
	}
	cli_options_clear(&o);
	if (!f.config)
		f.config = cli_system_config();
	return pysec_serve(&f);
}
