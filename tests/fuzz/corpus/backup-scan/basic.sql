INSERT INTO `m` VALUES
(1,'a'),
(2,NULL);
CREATE TABLE `e` (a int);
