module example.com/koreplace

go 1.22

require example.com/kodep v1.0.0

// The dependency lives beside the repository so the tests need no
// network; go treats it as any required module (not a package of this one).
replace example.com/kodep => ../kodep
