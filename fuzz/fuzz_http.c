/*
 * The mock's request path on arbitrary bytes, over a real socket: errata
 * serve with every bundled contract runs in this process, each input is sent
 * as it is on a fresh connection, and every 64 inputs a health request must
 * still be answered (a hostile request never takes the mock down).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "../mock/mock.h"

static struct mock *mock;
static unsigned port;

static void stop(void)
{
	mock_stop(mock, 0);
}

static struct mock *start(void)
{
	struct mock_config cfg = { 0 };
	char why[300];
	size_t n;

	cfg.contracts = fuzz_contracts(&n);
	cfg.nr_contracts = n;
	cfg.host = "127.0.0.1";
	cfg.journal_size = 256;
	cfg.threads = 2;
	mock = mock_start(&cfg, why, sizeof(why));
	if (!mock) {
		fprintf(stderr, "fuzz: cannot start the mock: %s\n", why);
		exit(2);
	}
	port = mock_port(mock);
	atexit(stop);
	return mock;
}

/* Send `len` bytes on a new connection and read the answer (up to `cap`
 * bytes into buf, NUL-terminated) until the mock closes or 100 ms pass with nothing. */
static size_t exchange(const void *req, size_t len, char *buf, size_t cap)
{
	struct sockaddr_in a = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t got = 0;

	if (fd < 0)
		return 0;
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return 0;
	}
	if (len)
		(void)!send(fd, req, len, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		char sink[4096];
		ssize_t r;

		if (poll(&p, 1, 100) <= 0)
			break;
		r = recv(fd, got < cap ? buf + got : sink, got < cap ? cap - got : sizeof(sink), 0);
		if (r <= 0)
			break;
		if (got < cap)
			got += (size_t)r;
	}
	close(fd);
	buf[got < cap ? got : cap - 1] = '\0';
	return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the admin API answers loopback Hosts and JSON writes only */
	static const char health[] = "GET /__errata/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	static const char reset[] = "POST /__errata/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
				    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	static unsigned long runs;
	char buf[512];

	if (!mock)
		start();
	exchange(data, size, buf, sizeof(buf));
	if (++runs % 64 == 0) {
		exchange(health, sizeof(health) - 1, buf, sizeof(buf));
		FUZZ_ASSERT(!strncmp(buf, "HTTP/1.1 200", 12), "the mock stopped answering: '%.40s'", buf);
		exchange(reset, sizeof(reset) - 1, buf, sizeof(buf));
	}
	return 0;
}
