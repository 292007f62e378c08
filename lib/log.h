/* log.h - logging to stderr, one write(2) per line. */
#ifndef FOOBAR_LOG_H
#define FOOBAR_LOG_H

#include <stddef.h>

/* Syslog priorities, as the journal reads them from "<N>" prefixes. */
enum log_prio {
	LOG_PRIO_ERR = 3,
	LOG_PRIO_WARNING = 4,
	LOG_PRIO_NOTICE = 5,
	LOG_PRIO_INFO = 6,
	LOG_PRIO_DEBUG = 7
};

/* Sets the program name and picks the line format: "<N>message" when
 * stderr is the journal (JOURNAL_STREAM matches), "name: message"
 * otherwise. Returns nothing; never fails. */
void log_init(const char *progname);

/* Sets the most verbose priority that is written (default LOG_PRIO_INFO). */
void log_set_level(enum log_prio max);

/* Writes one line at the given priority, at most 2047 bytes; newlines in
 * the message become spaces. Never fails visibly; keeps errno. */
void log_msg(enum log_prio prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_PRIO_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_PRIO_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_PRIO_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_PRIO_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_PRIO_DEBUG, __VA_ARGS__)

/* Copies src (srclen bytes) into dst as printable text: control bytes,
 * backslash, '"' and bytes >= 0x7f become \xHH. Always NUL-terminates
 * when dstlen > 0, truncating if needed. Returns the length written. */
size_t log_escape(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
