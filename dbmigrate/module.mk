# dbmigrate: foobar-dbmigrate, schema migrations (PRODUCT.md §7).
LIB_SRCS += lib/db.c
$(O)/obj/lib/db.o: OBJ_CFLAGS += $(call pkgcflags,mysqlclient)
