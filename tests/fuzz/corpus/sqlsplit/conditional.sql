/*!40101 SET @x = 1 */;
/*M!100100 SET @y = 2 */;
CREATE TABLE t (a INT) /*!50100 ENGINE=InnoDB */;