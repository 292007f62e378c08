#!/usr/bin/perl
# hello.pl - the CGI example of foobar-appd: echoes the request.
use strict;
use warnings;

my $method = $ENV{REQUEST_METHOD} // 'GET';
my $body = '';
if (($ENV{CONTENT_LENGTH} // '') =~ /^\d+$/ && $ENV{CONTENT_LENGTH} > 0) {
	binmode STDIN;
	local $/;
	$body = <STDIN> // '';
}
my %esc = ('&' => '&amp;', '<' => '&lt;', '>' => '&gt;', '"' => '&quot;');
sub html { my $s = shift // ''; $s =~ s/([&<>"])/$esc{$1}/g; return $s; }

print "Content-Type: text/html; charset=utf-8\r\n\r\n";
print "<!DOCTYPE html>\n<title>Hello from Perl</title>\n";
print "<h1>Hello from Perl</h1>\n<ul>\n";
print "<li>method: ", html($method), "\n";
print "<li>script: ", html($ENV{SCRIPT_NAME}), "\n";
print "<li>path info: ", html($ENV{PATH_INFO}), "\n";
print "<li>query: ", html($ENV{QUERY_STRING}), "\n";
print "<li>body bytes: ", length($body), "\n</ul>\n";
