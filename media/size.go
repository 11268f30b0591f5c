package media

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sizeUnits maps a lower-cased unit to its multiplier. Binary units (KiB)
// are powers of 1024, decimal ones (KB) powers of 1000. A bare K, M, G or T
// is binary, as in nginx's client_max_body_size.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

// ParseSize parses a byte count for --max-upload: a non-negative whole
// number, optionally followed (with or without a space) by a unit: B, KB,
// KiB, MB, MiB, GB, GiB, TB, TiB, or a bare K, M, G, T (binary); units are
// case-insensitive. "512MiB", "1GiB", "200MB", "1048576", "64KiB" and
// "512 MiB" (FormatSize's output) are accepted. Signs, fractions, other
// units, surrounding junk and results above math.MaxInt64 are errors.
func ParseSize(s string) (int64, error) {
	num := strings.TrimSpace(s)
	i := 0
	for i < len(num) && '0' <= num[i] && num[i] <= '9' {
		i++
	}
	digits, unit := num[:i], strings.TrimSpace(num[i:])
	if digits == "" {
		return 0, fmt.Errorf("media: size %q: want a whole number of bytes, like 512MiB", s)
	}
	mult, ok := sizeUnits[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("media: size %q: unknown unit %q (use B, KB, KiB, MB, MiB, GB, GiB)", s, unit)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("media: size %q: too large", s)
		}
		return 0, fmt.Errorf("media: size %q: %w", s, err)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("media: size %q: too large", s)
	}
	return n * mult, nil
}

// FormatSize renders a byte count for people, in binary units: "512 MiB",
// "1 GiB", "900 B". A count that is not a whole number of its unit shows
// one decimal, rounded down so the limit shown is never above the real one:
// "1.5 GiB".
func FormatSize(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	u, exp := int64(1024), 0
	for exp+1 < len(units) && n/u >= 1024 {
		u <<= 10
		exp++
	}
	name := units[exp:exp+1] + "iB"
	whole, rem := n/u, uint64(n%u)
	if rem == 0 {
		return fmt.Sprintf("%d %s", whole, name)
	}
	tenth := rem * 10 / uint64(u) // rem < u <= 2^60, so rem*10 fits in uint64
	return fmt.Sprintf("%d.%d %s", whole, tenth, name)
}
