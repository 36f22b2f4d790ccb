fopy R
ð¹­;:“lalx:lS 