#!/bin/sh
# bench/appd/hello.sh - the CGI script of bench/appd.sh's CGI path (the
# same file behind appd's [cgi] and behind fcgiwrap).
printf 'Content-Type: text/plain\r\n\r\nhello from %s\n' "$SCRIPT_NAME"
