module example.com/kovendor

go 1.22

require example.com/kodep v1.0.0
