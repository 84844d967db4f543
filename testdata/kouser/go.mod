module example.com/kouser

go 1.22
