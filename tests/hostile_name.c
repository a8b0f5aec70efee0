#include "config.h"

/*
 * hostile_name: a process whose name and command line are built to attack
 * whatever shows them, for porttop's hostile-input test
 * (tests/netns_hostile.sh). Linux only.
 *
 * Usage: hostile_name --ready FILE --port PORT [--timeout SECS]
 *
 * It re-executes itself with a command line of about 4 KiB whose
 * arguments hold terminal escape sequences (a title change, clear screen,
 * colours), newlines and carriage returns, a right-to-left override and
 * isolates, C1 controls and invalid UTF-8; then it renames itself with
 * prctl(PR_SET_NAME) to a comm of the same kind. It listens on
 * 127.0.0.1:PORT (keep PORT outside ip_local_port_range) and holds one
 * connection to itself (both ends), so its sockets are attributed to it,
 * writes its pid to FILE (FILE.tmp, renamed) and waits for SIGTERM,
 * SIGINT, SIGHUP or the timeout (default 300 s). Exit 0, 1 on a failure
 * (reason on stderr), 2 on a usage error.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* What comm becomes (15 bytes at most: the kernel cuts the rest). */
static const char hostile_comm[] = "\033]0;pwn\007\n\xe2\x80\xae\xff\x9b";

#define ARGV_BYTES 4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int die(const char *what)
{
	fprintf(stderr, "hostile_name: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Stage 1: exec ourselves with the hostile argv (the options kept at the
 * end, after a "--" marker the second stage looks for). */
static int reexec(int argc, char **argv)
{
	static char big[ARGV_BYTES];
	static const char piece[] =
		"\033[2J\033[31mX\033[0m\r\n\xe2\x80\xae\xe2\x81\xa6" "evil"
		"\xe2\x81\xa9\xc2\x9b\xc2\x85\xff\xfe\xc0\xaf\x7f\t";
	char arg0[] = "\033]0;pwned\007porttop-victim\n\xe2\x80\xaegnp.exe";
	char arg1[] = "--title=\033]2;owned\007";
	char dashes[] = "--";
	char *nargv[64];
	size_t i, n = 0;
	int k;

	for (i = 0; i + sizeof(piece) < sizeof(big); i += sizeof(piece) - 1)
		memcpy(big + i, piece, sizeof(piece) - 1);
	big[i] = '\0';
	nargv[n++] = arg0;
	nargv[n++] = arg1;
	nargv[n++] = big;
	nargv[n++] = dashes;
	for (k = 1; k < argc && n < 63; k++)
		nargv[n++] = argv[k];
	nargv[n] = NULL;
	setenv("HOSTILE_NAME_STAGE", "2", 1);
	execv("/proc/self/exe", nargv);
	return die("execv /proc/self/exe");
}

int main(int argc, char **argv)
{
	const char *ready = NULL;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int port = 0, timeout = 300, i, l, c, a, one = 1;
	char tmp[4096];
	FILE *f;

	if (!getenv("HOSTILE_NAME_STAGE"))
		return reexec(argc, argv);
	/* skip to the options after "--" */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	for (i++; i < argc; i++) {
		if (strcmp(argv[i], "--ready") == 0 && i + 1 < argc)
			ready = argv[++i];
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			timeout = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: hostile_name --ready FILE --port PORT [--timeout SECS]\n");
			return 2;
		}
	}
	if (!ready || port <= 0 || port > 65535 || timeout <= 0) {
		fprintf(stderr, "usage: hostile_name --ready FILE --port PORT [--timeout SECS]\n");
		return 2;
	}
	if (prctl(PR_SET_NAME, hostile_comm, 0, 0, 0) != 0)
		return die("prctl(PR_SET_NAME)");

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return die("socket");
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 4) < 0)
		return die("listen");
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return die("connect");
	a = accept(l, (struct sockaddr *)&sa, &sl);
	if (a < 0)
		return die("accept");

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	snprintf(tmp, sizeof(tmp), "%s.tmp", ready);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 ||
	    rename(tmp, ready) != 0)
		return die(ready);
	for (i = 0; i < timeout * 10 && !stop; i++)
		usleep(100000);
	close(a);
	close(c);
	close(l);
	return 0;
}
