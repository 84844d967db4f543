module example.com/korepo/test/conformance

go 1.26
