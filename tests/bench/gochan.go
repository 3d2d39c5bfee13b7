// SPDX-License-Identifier: GPL-2.0

// gochan: Go's own channels and sync.WaitGroup, the in-process reference of
// the chan benchmarks.  Same workloads, counts and output lines as the C
// programs (see bench.h):
//
//	gochan [-r REPS] pingpong   unbuffered round trips between goroutines
//	gochan [-r REPS] spsc       buffered (1024), 8- and 256-byte elements
//	gochan [-r REPS] mpmc       4 producers, 4 consumers, 8-byte elements
//	gochan [-r REPS] wg         sync.WaitGroup: add+done, fork-join rounds,
//	                            fork-join rounds of goroutines started per round
//	gochan [-r REPS] goroutine  a go statement's cost, and a chain of 10,000
//	                            goroutines (test/chan/goroutines.go)
//
// Every measurement checks the element count and a checksum and exits 1 on a
// mismatch.  BENCH_QUICK=1 runs tiny counts; BENCH_SCALE=F scales them.
// Built static with CGO_ENABLED=0 by tests/bench/run.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var reps = flag.Int("r", 1, "repetitions")

// count is bench_count() of bench.h: the same numbers as the C side.
func count(full int64) int64 {
	n := full
	if os.Getenv("BENCH_QUICK") == "1" {
		n = full / 20
	} else if f, err := strconv.ParseFloat(os.Getenv("BENCH_SCALE"), 64); err == nil && f > 0 {
		n = int64(float64(full) * f)
	}
	if n < 64 {
		return 64
	}
	return n - n%64
}

func val(i uint64) uint64 { return (i + 1) * 0x9E3779B97F4A7C15 }

func sum(n uint64) uint64 { return (n * (n + 1) / 2) * 0x9E3779B97F4A7C15 }

func sample(workload, cas, impl string, d time.Duration, ops int64) {
	fmt.Printf("sample,%s,%s,%s,%.2f,%d\n", workload, cas, impl,
		float64(d.Nanoseconds())/float64(ops), ops)
}

func verify(what string, got, want uint64) {
	if got != want {
		fmt.Fprintf(os.Stderr, "gochan: FAIL: result mismatch: %s is %d (%#x), want %d (%#x)\n",
			what, got, got, want, want)
		os.Exit(1)
	}
}

// runReps: a warm-up pass (a tenth, at least 256), then reps measured ones.
func runReps(workload, cas, impl string, n int64, once func(int64) time.Duration) {
	w := n / 10
	if w < 256 {
		w = 256
	}
	w -= w % 64
	once(w)
	for r := 0; r < *reps; r++ {
		sample(workload, cas, impl, once(n), n)
	}
}

func pingpong(n int64) time.Duration {
	ping, pong := make(chan uint64), make(chan uint64)
	go func() {
		for i := int64(0); i <= n; i++ {
			pong <- (<-ping) + 1
		}
	}()
	ping <- 1
	verify("first reply", <-pong, 2)
	var got, want uint64
	t0 := time.Now()
	for i := int64(0); i < n; i++ {
		v := (val(uint64(i)) >> 1) | 1
		ping <- v
		got += <-pong
		want += v + 1
	}
	d := time.Since(t0)
	verify("sum of replies", got, want)
	return d
}

type elem256 [32]uint64

// queue8: np producers, nc consumers on one channel of 8-byte elements.
func queue8(np, nc int, n int64) time.Duration {
	c := make(chan uint64, 1024)
	var start, prod, cons sync.WaitGroup
	counts := make([]uint64, nc)
	sums := make([]uint64, nc)
	start.Add(1)
	per := uint64(n) / uint64(np)
	for p := 0; p < np; p++ {
		prod.Add(1)
		go func(first uint64) {
			defer prod.Done()
			start.Wait()
			for i := uint64(0); i < per; i++ {
				c <- val(first + i)
			}
		}(per * uint64(p))
	}
	for k := 0; k < nc; k++ {
		cons.Add(1)
		go func(k int) {
			defer cons.Done()
			start.Wait()
			for v := range c {
				sums[k] += v
				counts[k]++
			}
		}(k)
	}
	t0 := time.Now()
	start.Done()
	prod.Wait()
	close(c)
	cons.Wait()
	d := time.Since(t0)
	var cnt, s uint64
	for k := 0; k < nc; k++ {
		cnt += counts[k]
		s += sums[k]
	}
	verify("elements received", cnt, uint64(n))
	verify("checksum", s, sum(uint64(n)))
	return d
}

func spsc256(n int64) time.Duration {
	c := make(chan elem256, 1024)
	var start sync.WaitGroup
	start.Add(1)
	go func() {
		start.Wait()
		var e elem256
		for i := uint64(0); i < uint64(n); i++ {
			e[0] = val(i)
			e[31] = ^e[0]
			c <- e
		}
		close(c)
	}()
	var cnt, s uint64
	t0 := time.Now()
	start.Done()
	for e := range c {
		verify("complement in the element's tail", e[31], ^e[0])
		s += e[0]
		cnt++
	}
	d := time.Since(t0)
	verify("elements received", cnt, uint64(n))
	verify("checksum", s, sum(uint64(n)))
	return d
}

// wgAddDone: nt goroutines each make n/nt add(1)+done pairs on one group,
// while a waiter must not be released before the last of them.
func wgAddDone(nt int, n int64) time.Duration {
	var wg, start, workers sync.WaitGroup
	var finished, early int32
	per := n / int64(nt)
	wg.Add(1) // held by the test until all pairs are done
	released := make(chan struct{})
	go func() {
		wg.Wait()
		if atomic.LoadInt32(&finished) == 0 {
			atomic.StoreInt32(&early, 1)
		}
		close(released)
	}()
	start.Add(1)
	for t := 0; t < nt; t++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			start.Wait()
			for i := int64(0); i < per; i++ {
				wg.Add(1)
				wg.Done()
			}
		}()
	}
	t0 := time.Now()
	start.Done()
	workers.Wait()
	d := time.Since(t0)
	atomic.StoreInt32(&finished, 1)
	wg.Done()
	<-released
	verify("waiter released before the counter reached zero", uint64(early), 0)
	return d
}

// wgRounds: fork-join rounds.  Round r: the main goroutine opens start[r%2],
// nt workers each do their share and done[r%2], the main goroutine waits on
// done[r%2].  The groups of round r+1 are armed before round r opens, and
// reused two rounds later, after every wait on them has returned.
func wgRounds(nt int, rounds int64) time.Duration {
	var start, done [2]sync.WaitGroup
	var work uint64
	start[0].Add(1)
	done[0].Add(nt)
	for t := 0; t < nt; t++ {
		go func() {
			for r := int64(0); r < rounds; r++ {
				start[r%2].Wait()
				atomic.AddUint64(&work, uint64(r)+1)
				done[r%2].Done()
			}
		}()
	}
	var want uint64
	t0 := time.Now()
	for r := int64(0); r < rounds; r++ {
		if r+1 < rounds {
			start[(r+1)%2].Add(1)
			done[(r+1)%2].Add(nt)
		}
		start[r%2].Done()
		done[r%2].Wait()
		want += uint64(nt) * (uint64(r) + 1)
		verify("work done before the wait returned", atomic.LoadUint64(&work), want)
	}
	return time.Since(t0)
}

// wgGoJoin: fork-join rounds of nt goroutines started per round (wgbench's
// gojoin-N): each does its share and Done, the main goroutine waits.
func wgGoJoin(nt int, rounds int64) time.Duration {
	var wg sync.WaitGroup
	var work, want uint64
	t0 := time.Now()
	for r := int64(0); r < rounds; r++ {
		share := uint64(r) + 1
		for t := 0; t < nt; t++ {
			wg.Add(1)
			go func() {
				atomic.AddUint64(&work, share)
				wg.Done()
			}()
		}
		wg.Wait()
		want += uint64(nt) * share
		verify("work done before the wait returned", atomic.LoadUint64(&work), want)
	}
	return time.Since(t0)
}

// spawnK is gobench's SPAWN_K: go statements per round.
const spawnK = 64

// goSpawn: rounds of spawnK go statements, those alone timed (gobench's
// spawn); the dead goroutines of a round are reused by the next.
func goSpawn(n int64) time.Duration {
	var wg sync.WaitGroup
	var work, want uint64
	var d time.Duration
	for r := int64(0); r < n/spawnK; r++ {
		t0 := time.Now()
		for i := 0; i < spawnK; i++ {
			share := uint64(r*spawnK) + uint64(i)
			wg.Add(1)
			go func() {
				atomic.AddUint64(&work, share)
				wg.Done()
			}()
		}
		d += time.Since(t0)
		wg.Wait()
		for i := 0; i < spawnK; i++ {
			want += uint64(r*spawnK) + uint64(i)
		}
		verify("work of the goroutines", atomic.LoadUint64(&work), want)
		time.Sleep(10 * time.Millisecond)
	}
	return d
}

// goChain: Go's test/chan/goroutines.go, n goroutines passing a value
// along n+1 unbuffered channels (gobench's chain).
func goChain(n int64) time.Duration {
	t0 := time.Now()
	leftmost := make(chan int)
	right, left := leftmost, leftmost
	for i := int64(0); i < n; i++ {
		right = make(chan int)
		go func(l, r chan int) { l <- 1 + <-r }(left, right)
		left = right
	}
	right <- 1
	v := <-leftmost
	d := time.Since(t0)
	verify("value at the chain's end", uint64(v), uint64(n)+1)
	return d
}

func main() {
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: gochan [-r REPS] pingpong|spsc|mpmc|wg|goroutine")
		os.Exit(2)
	}
	switch flag.Arg(0) {
	case "pingpong":
		// GOMAXPROCS=1 is the one-CPU case of the C side.
		prev := runtime.GOMAXPROCS(1)
		runReps("pingpong", "threads-1cpu", "go", count(2000), pingpong)
		runtime.GOMAXPROCS(prev)
		runReps("pingpong", "threads-2cpu", "go", count(2000), pingpong)
	case "spsc":
		runReps("spsc", "8B", "go", count(20000), func(n int64) time.Duration { return queue8(1, 1, n) })
		runReps("spsc", "256B", "go", count(20000), spsc256)
	case "mpmc":
		runReps("mpmc", "8B", "go", count(20000), func(n int64) time.Duration { return queue8(4, 4, n) })
	case "wg":
		for _, nt := range []int{1, 4, 16} {
			nt := nt
			runReps("wg", fmt.Sprintf("adddone-%d", nt), "go", count(1000000),
				func(n int64) time.Duration { return wgAddDone(nt, n) })
		}
		for _, nt := range []int{1, 4, 16} {
			nt := nt
			runReps("wg", fmt.Sprintf("rounds-%d", nt), "go", count(20000),
				func(n int64) time.Duration { return wgRounds(nt, n) })
		}
		for _, nt := range []int{1, 4, 16} {
			nt := nt
			runReps("wg", fmt.Sprintf("gojoin-%d", nt), "go", count(4000)/4,
				func(n int64) time.Duration { return wgGoJoin(nt, n) })
		}
	case "goroutine":
		runReps("goroutine", "spawn", "go", count(20000)/spawnK*spawnK, goSpawn)
		chain := int64(10000)
		if os.Getenv("BENCH_QUICK") == "1" {
			chain = 2000
		}
		runReps("goroutine", "chain", "go", chain, goChain)
	default:
		fmt.Fprintf(os.Stderr, "gochan: unknown workload %q\n", flag.Arg(0))
		os.Exit(2)
	}
}
