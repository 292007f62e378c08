-- lead;
/* block
;*/ SELECT 1 -- x;y
+ 1;
SELECT 2 # z;
;
SELECT 3 /* ; */ + 4; -- tail
SELECT 5--1;