INSERT INTO t VALUES ('a;b', "c;d", 'it''s;', 'x\';y');
SELECT `we;ird``col` FROM t;
