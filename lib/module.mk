LIB_SRCS += lib/log.c lib/conf.c lib/cli.c
UNIT_TESTS += test-lib
test-lib_SRCS = tests/unit/test_lib.c
FUZZERS += fuzz-conf
fuzz-conf_SRCS = tests/fuzz/fuzz_conf.c
fuzz-conf_CORPUS = tests/fuzz/corpus/conf
