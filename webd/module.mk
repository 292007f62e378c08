# webd: the static web server (foobar-webd), and lib/sd.c which it shares
# with appd (systemd glue).
LIB_SRCS += lib/sd.c
