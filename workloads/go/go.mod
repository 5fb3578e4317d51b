module rttrace/workloads/go

go 1.19
