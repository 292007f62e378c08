# webd: the static web server (foobar-webd), and lib/sd.c which it shares
# with appd (systemd glue).
LIB_SRCS += lib/sd.c

SBIN_PROGRAMS += foobar-webd
foobar-webd_SRCS = webd/main.c webd/http.c webd/config.c webd/cache.c \
	webd/file.c webd/accesslog.c webd/path.c webd/range.c webd/cond.c \
	webd/mime.c
foobar-webd_PKGS = libmicrohttpd libsystemd
