module example.com/korepo

go 1.26
