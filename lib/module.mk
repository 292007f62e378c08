LIB_SRCS += lib/log.c lib/conf.c lib/cli.c lib/cgihead.c lib/sha256.c \
	lib/prom.c lib/dbcnf.c
UNIT_TESTS += test-lib
test-lib_SRCS = tests/unit/test_lib.c
FUZZERS += fuzz-conf
fuzz-conf_SRCS = tests/fuzz/fuzz_conf.c
fuzz-conf_CORPUS = tests/fuzz/corpus/conf
# The head of a CGI response as lib/cgihead.c reads it, and as appd and
# webd take it.
FUZZERS += fuzz-cgi-head
fuzz-cgi-head_SRCS = tests/fuzz/fuzz_cgi_head.c appd/cgi_resp.c webd/cgi.c
fuzz-cgi-head_CORPUS = tests/fuzz/corpus/cgi-head
# The head of a scrape request, as appd's metrics listener reads it.
FUZZERS += fuzz-prom-http
fuzz-prom-http_SRCS = tests/fuzz/fuzz_prom_http.c
fuzz-prom-http_CORPUS = tests/fuzz/corpus/prom-http
