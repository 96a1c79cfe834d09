#!/usr/bin/env bash
# Writes book_addition.txt and book_date.txt WITHOUT zeronlp: awk draws and adds the numbers, GNU date
# formats the dates. They check that a model trained on zeronlp's generated data scores the same on
# files it did not generate (`zeronlp seq2seq eval --data tests/data/book_date.txt`).
set -euo pipefail
cd "$(dirname "$0")"
# Additions in the book's mix: each operand 1, 2 or 3 digits with equal odds, a uniform value of that length;
# 100,000 distinct questions drawn and N of them kept at random (N = 50,000 gives dataset/addition.txt's
# operand-length frequencies; a smaller N is a random sample of such a file).
additions() {  # additions SEED N
  awk -v seed="$1" -v n="$2" 'function operand(  d) { d = int(rand() * 3)
      return d == 0 ? int(rand() * 10) : d == 1 ? 10 + int(rand() * 90) : 100 + int(rand() * 900) }
    BEGIN { srand(seed); k = 0; pool = 100000
            while (k < pool) { a = operand(); b = operand(); q = a "+" b
              if (!(q in seen)) { seen[q] = 1; qs[k] = q; sums[k] = a + b; k++ } }
            left = n; for (i = 0; i < pool; i++) if (rand() * (pool - i) < left) {
              printf "%-7s_%-4s\n", qs[i], sums[i]; left-- } }'
}
additions 7 30 > book_addition.txt
i=0; : > book_date.txt
for d in 1971-03-04 1975-12-31 1979-07-14 1980-02-29 1983-11-09 1986-05-01 1989-09-23 1990-10-31 1992-06-17 \
         1994-09-27 1996-01-02 1997-02-26 1999-12-25 2000-01-01 2001-09-11 2003-08-19 2004-09-13 2005-04-30 \
         2007-07-07 2008-11-04 2010-03-15 2011-08-08 2012-12-21 2013-06-17 2014-02-14 2015-10-21 2016-07-04 \
         2017-01-20 1973-06-03 1982-10-02; do
  case $((i % 10)) in
    0) q=$(date -d $d +"%B %-d, %Y");; 1) q=$(date -d $d +"%b %-d, %Y");;
    2) q=$(date -d $d +"%B %-d, %Y" | tr A-Z a-z);; 3) q=$(date -d $d +"%b %-d, %Y" | tr A-Z a-z);;
    4) q=$(date -d $d +"%B %-d, %Y" | tr a-z A-Z);; 5) q=$(date -d $d +"%b %-d, %Y" | tr a-z A-Z);;
    6) q=$(date -d $d +"%-m/%-d/%y");; 7) q=$(date -d $d +"%A, %B %-d, %Y");;
    8) q=$(date -d $d +"%A, %B %-d, %Y" | tr A-Z a-z);; 9) q=$(date -d $d +"%A, %B %-d, %Y" | tr a-z A-Z);;
  esac
  printf "%-29s_%s\n" "$q" "$d" >> book_date.txt; i=$((i+1))
done

# `make_book_files.sh DIR` also writes 2000-line files to DIR (not kept in the repository): 2000 additions in
# the book's mix, and 2000 random days from 1970-01-01 to 2017-06-30, 200 per date family, formatted by GNU date.
if [ $# -ge 1 ]; then
  out=$1; mkdir -p "$out"; tmp=$(mktemp -d)
  additions 11 2000 > "$out/addition_2000.txt"
  awk 'BEGIN{srand(12); for(i=0;i<2000;i++) printf "1970-01-01 +%d days\n", int(rand()*17347)}' > "$tmp/days"
  date -f "$tmp/days" +%F > "$tmp/iso"
  fmts=("%B %-d, %Y" "%b %-d, %Y" "%B %-d, %Y|lower" "%b %-d, %Y|lower" "%B %-d, %Y|upper" "%b %-d, %Y|upper"
        "%-m/%-d/%y" "%A, %B %-d, %Y" "%A, %B %-d, %Y|lower" "%A, %B %-d, %Y|upper")
  : > "$out/date_2000.txt"
  for f in 0 1 2 3 4 5 6 7 8 9; do
    spec=${fmts[$f]}; fmt=${spec%%|*}; case=${spec#*|}
    sed -n "$((f * 200 + 1)),$((f * 200 + 200))p" "$tmp/iso" > "$tmp/part"
    date -f "$tmp/part" +"$fmt" > "$tmp/q"
    if [ "$case" = lower ]; then tr A-Z a-z < "$tmp/q" > "$tmp/q2"
    elif [ "$case" = upper ]; then tr a-z A-Z < "$tmp/q" > "$tmp/q2"
    else cp "$tmp/q" "$tmp/q2"; fi
    paste -d'\t' "$tmp/q2" "$tmp/part" | awk -F'\t' '{printf "%-29s_%s\n", $1, $2}' >> "$out/date_2000.txt"
  done
  rm -r "$tmp"
fi
