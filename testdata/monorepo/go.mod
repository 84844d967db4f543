module example.com/mono

go 1.26.0

require (
	example.com/greeting v0.0.0
	github.com/google/uuid v1.6.0
)

replace example.com/greeting => ./third_party/greeting
