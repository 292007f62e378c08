# appd: foobar-appd, the FastCGI application server (PRODUCT.md §6), and
# the FastCGI codec it shares with webd.
LIB_SRCS += lib/fcgi.c

UNIT_TESTS += test-fcgi
test-fcgi_SRCS = tests/unit/test_fcgi.c

FUZZERS += fuzz-fcgi
fuzz-fcgi_SRCS = tests/fuzz/fuzz_fcgi.c
fuzz-fcgi_CORPUS = tests/fuzz/corpus/fcgi
