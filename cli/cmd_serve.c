/*
 * cmd_serve.c: `git pysec serve`, the daemon: warm scans for the
 * pre-receive hooks of this machine, and reviews from forge webhooks.
 * The daemon itself is daemon/; this only reads the flags.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "daemon.h"

static const char usage[] =
	"usage: git pysec serve [options]\n"
	"\n"
	"Run the pysec daemon: pre-receive hooks whose policy names pysec.daemonSocket\n"
	"send their pushes here (rules compiled once, blob results cached), and GitLab\n"
	"merge request / Gitea pull request webhooks become reviews, queued durably.\n"
	"Settings live in the system policy file (see README, \"The daemon\").\n"
	"SIGHUP reloads the configuration and rules; SIGTERM finishes the work in flight and stops.\n"
	"\n"
	"  --config FILE      the configuration (default: $PYSEC_CONFIG or " PYSEC_SYSCONFDIR "/pysec.conf)\n"
	"  --socket PATH      the hooks' Unix socket (pysec.daemonSocket)\n"
	"  --listen HOST:PORT the webhook listener (pysec.daemon.listen); port 0 picks a free one\n"
	"  --queue-db FILE    the job queue (pysec.daemon.queueDb)\n"
	"  --port-file FILE   write the HTTP port there once listening\n"
	"  --check            read the configuration, say what it holds, and exit\n";

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "queue-db", required_argument, NULL, 'q' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct serve_flags f;
	int ch;

	memset(&f, 0, sizeof(f));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': f.config = optarg; break;
		case 's': f.socket = optarg; break;
		case 'l': f.listen = optarg; break;
		case 'q': f.queue_db = optarg; break;
		case 'p': f.port_file = optarg; break;
		case 'k': f.check = 1; break;
		case 'h': fputs(usage, stdout); return EXIT_CLEAN;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!f.config)
		f.config = cli_system_config();
	return daemon_serve(&f);
}
