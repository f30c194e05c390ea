# chart.gp - throughput vs concurrency for every client (gnuplot; bench/run.sh calls it).
# Left: scenario (a), 200 ms lognormal server; right: scenario (b), instant nginx with
# ~31 KB JPEGs. Data: bench/out/chart-latency.dat and chart-ceiling.dat (first line a
# comment naming the columns: concurrency, then one client per column).
# Usage: gnuplot -e "out='bench/throughput.png'" bench/chart.gp
if (!exists("out")) out = 'bench/throughput.png'
set terminal pngcairo size 1200,480 font ",10" noenhanced
set output out
set multiplot layout 1,2 title "visionbatch vs peers: throughput by concurrency (medians, make bench)"
set logscale x
set xtics ("10" 10, "50" 50, "200" 200)
set xrange [8:250]
set xlabel "concurrency"
set ylabel "images/s"
set key top left
set grid
set style data linespoints
# column titles come from the comment line, split on spaces
files = "bench/out/chart-latency.dat bench/out/chart-ceiling.dat"
titles = "'(a) 200 ms median latency, lognormal tail' '(b) instant server (nginx), ~31 KB images'"
do for [i = 1:2] {
    f = word(files, i)
    hdr = system("head -n 1 " . f . " | sed 's/^# concurrency //; s/ (images\\/s)//'")
    set title word(titles, i)
    plot for [k = 2:words(hdr) + 1] f using 1:k title word(hdr, k - 1) lw 2 pt 7
}
unset multiplot
