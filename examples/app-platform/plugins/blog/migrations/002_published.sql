ALTER TABLE posts ADD COLUMN published INTEGER NOT NULL DEFAULT 0;
INSERT INTO posts (title, published) VALUES ('Hello forge', 1);
