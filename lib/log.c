/* log.c - logging to stderr, one write(2) per line. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *log_progname = "foobar";
static int log_journal;
static enum log_prio log_max = LOG_PRIO_INFO;

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected to our
 * stderr; it only counts when stderr is still that stream. */
static int
log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (js == NULL || *js < '0' || *js > '9')
		return 0;
	errno = 0;
	dev = strtoull(js, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return 0;
	ino = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname)
{
	const char *slash;

	if (progname != NULL && *progname != '\0') {
		slash = strrchr(progname, '/');
		log_progname = slash ? slash + 1 : progname;
	}
	log_journal = log_stderr_is_journal();
}

void
log_set_level(enum log_prio max)
{
	log_max = max;
}

void
log_msg(enum log_prio prio, const char *fmt, ...)
{
	char line[2048];
	int saved = errno, n, len, i, start;
	va_list ap;

	if (prio > log_max)
		return;
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>", (int)prio);
	else /* a program name of 100 bytes is plenty */
		n = snprintf(line, sizeof(line), "%.100s: ", log_progname);
	if (n < 0)
		n = 0;
	start = n;
	va_start(ap, fmt);
	len = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	n += len;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	/* One message, one line: the journal would give the rest of a
	 * multi-line message no priority. */
	for (i = start; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	/* One write so that lines from several processes do not mix. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
	errno = saved;
}

size_t
log_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (dstlen == 0)
		return 0;
	for (i = 0; i < srclen; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstlen)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return o;
}
