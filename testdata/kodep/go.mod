module example.com/kodep

go 1.22
