<?php
// bench/appd/health.php - the PHP twin of guestbook.so's GET /api/health
// for bench/appd.sh: the same query on the same database (mysqli over
// the Unix socket, a persistent connection per php-fpm child as appd
// keeps one per worker unless BENCH_PCONNECT=0), the same JSON.
mysqli_report(MYSQLI_REPORT_OFF);
header('Content-Type: application/json; charset=utf-8');
header('Cache-Control: no-store');

function down()
{
	http_response_code(503);
	header('Retry-After: 1');
	echo json_encode(['status' => 'error', 'db' => 'down']), "\n";
	exit;
}

$host = getenv('BENCH_PCONNECT') === '0' ? 'localhost' : 'p:localhost';
$db = new mysqli($host, 'root', '', getenv('DB_NAME'), 0,
    getenv('DB_SOCK'));
if ($db->connect_errno)
	down();
$res = $db->query('SELECT COALESCE(MAX(version), 0) FROM ' .
    'dbmigrate_history WHERE success = 1');
if ($res === false)
	down();
$row = $res->fetch_row();
$res->free();
echo json_encode(['status' => 'ok', 'db' => 'ok',
    'schema' => (int)$row[0]]), "\n";
