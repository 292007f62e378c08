/* mime.c - Content-Type from the file name extension. Pure. */
#include "webd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mime_entry {
	const char *ext;
	const char *type;
};

#define UTF8 "; charset=utf-8"

/* Sorted by extension (strcasecmp order) for bsearch. */
static const struct mime_entry mime_table[] = {
	{ "7z", "application/x-7z-compressed" },
	{ "aac", "audio/aac" },
	{ "apng", "image/apng" },
	{ "atom", "application/atom+xml" UTF8 },
	{ "avif", "image/avif" },
	{ "bmp", "image/bmp" },
	{ "bz2", "application/x-bzip2" },
	{ "cjs", "text/javascript" UTF8 },
	{ "css", "text/css" UTF8 },
	{ "csv", "text/csv" UTF8 },
	{ "deb", "application/vnd.debian.binary-package" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document" },
	{ "eot", "application/vnd.ms-fontobject" },
	{ "epub", "application/epub+zip" },
	{ "flac", "audio/flac" },
	{ "gif", "image/gif" },
	{ "gz", "application/gzip" },
	{ "htm", "text/html" UTF8 },
	{ "html", "text/html" UTF8 },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "ics", "text/calendar" UTF8 },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "js", "text/javascript" UTF8 },
	{ "json", "application/json" },
	{ "jsonld", "application/ld+json" },
	{ "m4a", "audio/mp4" },
	{ "manifest", "text/cache-manifest" UTF8 },
	{ "map", "application/json" },
	{ "md", "text/markdown" UTF8 },
	{ "mjs", "text/javascript" UTF8 },
	{ "mov", "video/quicktime" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "mpeg", "video/mpeg" },
	{ "oga", "audio/ogg" },
	{ "ogg", "audio/ogg" },
	{ "ogv", "video/ogg" },
	{ "opus", "audio/ogg" },
	{ "otf", "font/otf" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "rss", "application/rss+xml" UTF8 },
	{ "rtf", "application/rtf" },
	{ "svg", "image/svg+xml" },
	{ "svgz", "image/svg+xml" },
	{ "tar", "application/x-tar" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "ttf", "font/ttf" },
	{ "txt", "text/plain" UTF8 },
	{ "wasm", "application/wasm" },
	{ "wav", "audio/wav" },
	{ "weba", "audio/webm" },
	{ "webm", "video/webm" },
	{ "webmanifest", "application/manifest+json" },
	{ "webp", "image/webp" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "xhtml", "application/xhtml+xml" UTF8 },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet" },
	{ "xml", "application/xml" UTF8 },
	{ "xz", "application/x-xz" },
	{ "yaml", "application/yaml" UTF8 },
	{ "yml", "application/yaml" UTF8 },
	{ "zip", "application/zip" },
	{ "zst", "application/zstd" },
};

#define MIME_DEFAULT "application/octet-stream"

static int
mime_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct mime_entry *)elem)->ext);
}

const char *
mime_type(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *dot;
	const struct mime_entry *e;

	if (slash != NULL)
		name = slash + 1;
	dot = strrchr(name, '.');
	if (dot == NULL || dot == name || dot[1] == '\0')
		return MIME_DEFAULT;
	e = bsearch(dot + 1, mime_table, sizeof(mime_table) /
	    sizeof(mime_table[0]), sizeof(mime_table[0]), mime_cmp);
	return e != NULL ? e->type : MIME_DEFAULT;
}

int
mime_table_sorted(void)
{
	size_t i;

	for (i = 1; i < sizeof(mime_table) / sizeof(mime_table[0]); i++)
		if (strcasecmp(mime_table[i - 1].ext, mime_table[i].ext) >= 0)
			return 0;
	return 1;
}
