//! batch-infer's CSV fast paths, compiled to WebAssembly (loaded by src/csv-wasm.ts).
//!
//! scan_records: each record of a chunk is read once, left to right, guided by a role per field (feature,
//! pass-through, both, neither): a feature's digits become a double while the field is scanned, a pass-through
//! field is noted as a byte range. A record it is not sure of is marked as not accepted, and the TypeScript side
//! hands it whole to the reference parser (csv-parse). The rules are those documented in src/parse/fast-csv.ts;
//! test/unit/fast-csv.test.ts checks them against csv-parse.
//!
//! find_records: where each record of a chunk starts and ends, and on which line, exactly as findRecordSpans in
//! src/parse/record-spans.ts finds them; test/unit/record-spans.test.ts holds the two to each other.
//!
//! format_rows: CSV output rows, float32 values in their shortest form exactly as ByteWriter.float32 in
//! src/output/byte-writer.ts writes them; test/unit/wasm-format.test.ts holds the two to each other. The texts of
//! recent values are kept per column position (FLOAT_TEXTS), for columns whose values repeat.
//!
//! No allocation, no standard library: the caller lays the arrays out in this module's memory.

#![no_std]

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

const COMMA: u8 = 0x2c;
const QUOTE: u8 = 0x22;
const NEWLINE: u8 = 0x0a;
const RETURN: u8 = 0x0d;
const SPACE: u8 = 0x20;
const TAB: u8 = 0x09;

const FEATURE: u8 = 1;
const PASSTHROUGH: u8 = 2;

const UNQUOTED: u8 = 0;
const QUOTED: u8 = 1;
const REQUOTED: u8 = 2;

/// 10^-60 .. 10^45, each the double nearest to it (the compiler rounds a float literal correctly, as JavaScript's
/// Number() does, so the formatter compares against the same doubles as ByteWriter.float32). The scanner uses
/// 10^0 .. 10^22, which are exact: m * 10^e and m / 10^e, with m < 2^53, are then correctly rounded (Clinger).
const POWERS_OF_TEN: [f64; 106] = [
    1e-60, 1e-59, 1e-58, 1e-57, 1e-56, 1e-55, 1e-54, 1e-53, 1e-52, 1e-51, 1e-50, 1e-49, 1e-48, 1e-47, 1e-46,
    1e-45, 1e-44, 1e-43, 1e-42, 1e-41, 1e-40, 1e-39, 1e-38, 1e-37, 1e-36, 1e-35, 1e-34, 1e-33, 1e-32, 1e-31,
    1e-30, 1e-29, 1e-28, 1e-27, 1e-26, 1e-25, 1e-24, 1e-23, 1e-22, 1e-21, 1e-20, 1e-19, 1e-18, 1e-17, 1e-16,
    1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2,
    1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
    1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39,
    1e40, 1e41, 1e42, 1e43, 1e44, 1e45,
];
const POWER_OFFSET: i32 = 60;

/// 10^exponent, for -60 <= exponent <= 45.
#[inline(always)]
fn power_of_ten(exponent: i32) -> f64 {
    unsafe { *POWERS_OF_TEN.get_unchecked((exponent + POWER_OFFSET) as usize) }
}

extern "C" {
    static __heap_base: u8;
}

/// Where the caller may start laying out its arrays.
#[no_mangle]
pub extern "C" fn heap_base() -> u32 {
    unsafe { &__heap_base as *const u8 as u32 }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` that equals `byte`, and no other bit set (exact, unlike the usual test).
#[inline(always)]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * byte as u64);
    !(((x & LOWS) + LOWS) | x) & HIGHS
}

/// The word of bytes b[pos..pos + 8), unaligned, little-endian (the caller has checked they are within b).
#[inline(always)]
unsafe fn word_at(b: &[u8], pos: usize) -> u64 {
    core::ptr::read_unaligned(b.as_ptr().add(pos) as *const u64)
}

/// How many newlines bytes[0..length) holds: one more is as many records as find_records can find.
#[no_mangle]
pub unsafe extern "C" fn count_newlines(bytes: *const u8, length: u32) -> u32 {
    let b = core::slice::from_raw_parts(bytes, length as usize);
    let mut count = 0u32;
    let mut pos = 0usize;
    while pos + 64 <= b.len() {
        count += byte_masks(b.as_ptr().add(pos), [NEWLINE])[0].count_ones();
        pos += 64;
    }
    while pos < b.len() {
        count += (at(b, pos) == NEWLINE) as u32;
        pos += 1;
    }
    count
}

/// The records of the CSV chunk bytes[0..length), at most `capacity`: record r is bytes[starts[r]..ends[r]) (its
/// line end and a CR before it excluded) and starts on line lines[r], counting from `first_line`. A newline
/// inside double quotes does not end a record (a doubled quote closes and reopens them); an unclosed quote runs
/// to the end of the chunk; blank lines are not records. Returns how many records were stored.
#[no_mangle]
pub unsafe extern "C" fn find_records(bytes: *const u8, length: u32, first_line: i32, capacity: u32, starts: *mut i32, ends: *mut i32, lines: *mut i32) -> u32 {
    let b = core::slice::from_raw_parts(bytes, length as usize);
    let length = length as usize;
    let mut found = Records { b, count: 0, capacity, starts, ends, lines };
    let mut line = first_line;
    let mut start = 0usize;
    let mut start_line = line;
    let mut is_quoted = false;
    let mut pos = 0usize;
    while pos < length && found.count < capacity {
        // 64 bytes at a time while no quote is open or met: every newline ends a record.
        if !is_quoted && pos + 64 <= length {
            let [quotes, mut newlines] = byte_masks(b.as_ptr().add(pos), [QUOTE, NEWLINE]);
            if quotes == 0 {
                while newlines != 0 {
                    let at = pos + newlines.trailing_zeros() as usize;
                    line += 1;
                    if !found.add(start, at, start_line) {
                        return found.count;
                    }
                    start = at + 1;
                    start_line = line;
                    newlines &= newlines - 1;
                }
                pos += 64;
                continue;
            }
        }
        // Byte by byte through a block with a quote in it, or inside quotes, or the chunk's last bytes.
        let stop = length.min(pos + 64);
        while pos < stop {
            let c = at(b, pos);
            pos += 1;
            if c == QUOTE {
                is_quoted = !is_quoted;
            } else if c == NEWLINE {
                line += 1;
                if !is_quoted {
                    if !found.add(start, pos - 1, start_line) {
                        return found.count;
                    }
                    start = pos;
                    start_line = line;
                }
            }
        }
    }
    // The last record, with no line end (or an unclosed quote running to the end).
    if start < length && found.count < capacity {
        found.add(start, length, start_line);
    }
    found.count
}

/// For each of `bytes`, a mask of the 64 bytes at p: bit i set when p[i] is that byte. One SIMD load per 16 bytes,
/// compared with each.
#[inline(always)]
unsafe fn byte_masks<const N: usize>(p: *const u8, bytes: [u8; N]) -> [u64; N] {
    use core::arch::wasm32::*;
    let mut masks = [0u64; N];
    for k in 0..4 {
        let v = v128_load(p.add(16 * k) as *const v128);
        for (mask, &byte) in masks.iter_mut().zip(bytes.iter()) {
            *mask |= (u8x16_bitmask(u8x16_eq(v, u8x16_splat(byte))) as u64) << (16 * k);
        }
    }
    masks
}

/// find_records' output arrays.
struct Records<'a> {
    b: &'a [u8],
    count: u32,
    capacity: u32,
    starts: *mut i32,
    ends: *mut i32,
    lines: *mut i32,
}

impl Records<'_> {
    /// Stores the record b[start..end) (a CR before `end` dropped) unless it is blank; false once `capacity`
    /// records are stored.
    #[inline(always)]
    unsafe fn add(&mut self, start: usize, end: usize, line: i32) -> bool {
        let mut end = end;
        if end > start && at(self.b, end - 1) == RETURN {
            end -= 1;
        }
        if end > start {
            let r = self.count as usize;
            *self.starts.add(r) = start as i32;
            *self.ends.add(r) = end as i32;
            *self.lines.add(r) = line;
            self.count += 1;
        }
        self.count < self.capacity
    }
}

/// One record's fields, as scan_record leaves them.
struct Fields<'a> {
    roles: &'a [u8],
    values: &'a mut [f64],
    starts: &'a mut [i32],
    ends: &'a mut [i32],
    quoting: &'a mut [u8],
}

#[inline(always)]
fn is_digit(c: u8) -> bool {
    c.wrapping_sub(b'0') < 10
}

/// b[i], for an i the caller has checked: below the record's end, which is within the chunk.
#[inline(always)]
fn at(b: &[u8], i: usize) -> u8 {
    unsafe { *b.get_unchecked(i) }
}

/// slot[i] = value, for an i below the field count (every per-record slice is that long).
#[inline(always)]
fn set<T>(slot: &mut [T], i: usize, value: T) {
    unsafe { *slot.get_unchecked_mut(i) = value }
}

/// How far past a field's start plain_decimal may read: a sign, eight bytes, a point, eight bytes.
const PLAIN_DECIMAL_REACH: usize = 24;

/// The high bit of each byte of the word that is not an ASCII digit, and no other bit.
#[inline(always)]
fn non_digits(word: u64) -> u64 {
    let low = word & LOWS;
    // The high bit of each byte: set when its low seven bits are at least '0', and at least ':' (past '9').
    let at_least_zero = low.wrapping_add(ONES * 0x50);
    let past_nine = low.wrapping_add(ONES * 0x46);
    !(at_least_zero & !past_nine & !word) & HIGHS
}

/// How many of the word's bytes, from its first, are ASCII digits (8 when all are).
#[inline(always)]
fn leading_digits(word: u64) -> usize {
    (non_digits(word).trailing_zeros() / 8) as usize
}

/// The value of the word's first `count` bytes as decimal digits, 1 <= count <= 8 (they are digits).
#[inline(always)]
fn digits_value(word: u64, count: usize) -> u64 {
    // The digits move to the top of the word, zeros (leading zeros) below them; bytes past them fall out.
    let mut v = word.wrapping_sub(ONES * b'0' as u64) << (8 * (8 - count));
    v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let pairs = 0x0000_00ff_0000_00ff;
    ((v & pairs).wrapping_mul(100 + (1_000_000 << 32)).wrapping_add(((v >> 16) & pairs).wrapping_mul(1 + (10_000 << 32)))) >> 32
}

/// A feature field b[pos..) of the form [sign] digits [. digits], 1-7 digits on each side, ended by a comma or
/// the record's end: its value, exactly as the byte loop of scan_record computes it, and where it ends. None for
/// any other form. The caller has checked that pos < end and pos + PLAIN_DECIMAL_REACH <= b.len().
#[inline(always)]
unsafe fn plain_decimal(b: &[u8], start: usize, end: usize) -> Option<(f64, usize)> {
    let mut pos = start;
    let sign = at(b, pos);
    let is_negative = sign == b'-';
    if is_negative || sign == b'+' {
        pos += 1;
    }
    let word = word_at(b, pos);
    let whole = leading_digits(word).min(end - pos);
    if whole == 0 || whole == 8 {
        return None;
    }
    let mut mantissa = digits_value(word, whole);
    let mut next = pos + whole;
    let mut scale = 0usize;
    if next < end && at(b, next) == b'.' {
        let fraction_word = word_at(b, next + 1);
        let fraction = leading_digits(fraction_word).min(end - next - 1);
        if fraction == 0 || fraction == 8 {
            return None;
        }
        // 10^fraction is exact as a double and as an integer.
        mantissa = mantissa * power_of_ten(fraction as i32) as u64 + digits_value(fraction_word, fraction);
        scale = fraction;
        next += 1 + fraction;
    }
    if next < end && at(b, next) != COMMA {
        return None;
    }
    // At most 14 digits: exact as a double, and m / 10^k correctly rounded (as in scan_record).
    let exact = mantissa as f64;
    let result = if scale > 0 { exact / power_of_ten(scale as i32) } else { exact };
    Some((if is_negative { -result } else { result }, next))
}

/// Reads the record b[start..end) into `into`; false leaves the record to the reference parser. Accepted: exactly
/// as many fields as roles; every feature a plain decimal (optional sign, digits with an optional fraction,
/// optional exponent; quotes, spaces and tabs around it allowed) or empty (NaN marks a missing value); every other
/// field plain RFC 4180 without a lone CR.
#[inline(always)]
fn scan_record(b: &[u8], start: usize, end: usize, into: &mut Fields) -> bool {
    let field_count = into.roles.len();
    let mut pos = start;
    let mut f = 0usize;
    loop {
        let role = unsafe { *into.roles.get_unchecked(f) };
        let field_start = pos;
        let mut quote = UNQUOTED;
        // The common feature: a plain decimal read eight bytes at a time. Anything else (quotes, spaces, an
        // exponent, an empty field, long digit runs, a record near the chunk's end) takes the byte loop below.
        let plain = if role & FEATURE != 0 && pos < end && pos + PLAIN_DECIMAL_REACH <= b.len() { unsafe { plain_decimal(b, pos, end) } } else { None };
        if let Some((value, next)) = plain {
            set(into.values, f, value);
            pos = next;
        } else if role & FEATURE != 0 {
            let c = if pos < end { at(b, pos) } else { COMMA };
            if c == QUOTE || c == SPACE || c == TAB {
                if c == QUOTE {
                    quote = QUOTED;
                    pos += 1;
                }
                while pos < end && (at(b, pos) == SPACE || at(b, pos) == TAB) {
                    pos += 1;
                }
            }
            let number_start = pos;
            let mut is_negative = false;
            if pos < end && (at(b, pos) == b'-' || at(b, pos) == b'+') {
                is_negative = at(b, pos) == b'-';
                pos += 1;
            }
            // In integers: a chain of floating-point multiply-adds, one per digit, was the scan's critical path.
            // Up to 15 digits the value is exact either way; past that the text is parsed instead.
            let mut mantissa = 0u64;
            let mut digits = 0u32;
            let mut exponent = 0i32;
            while pos < end && is_digit(at(b, pos)) {
                mantissa = mantissa.wrapping_mul(10).wrapping_add((at(b, pos) - b'0') as u64);
                digits += 1;
                pos += 1;
            }
            if pos < end && at(b, pos) == b'.' {
                pos += 1;
                while pos < end && is_digit(at(b, pos)) {
                    mantissa = mantissa.wrapping_mul(10).wrapping_add((at(b, pos) - b'0') as u64);
                    digits += 1;
                    exponent -= 1;
                    pos += 1;
                }
            }
            if digits > 0 && pos < end && (at(b, pos) == b'e' || at(b, pos) == b'E') {
                pos += 1;
                let mut is_exponent_negative = false;
                if pos < end && (at(b, pos) == b'-' || at(b, pos) == b'+') {
                    is_exponent_negative = at(b, pos) == b'-';
                    pos += 1;
                }
                let exponent_start = pos;
                let mut value = 0i32;
                while pos < end && is_digit(at(b, pos)) {
                    // Capped: past 999 the value only matters as out of range.
                    if value < 1000 {
                        value = value * 10 + (at(b, pos) - b'0') as i32;
                    }
                    pos += 1;
                }
                if pos == exponent_start {
                    return false;
                }
                exponent += if is_exponent_negative { -value } else { value };
            }
            let number_end = pos;
            if pos < end && at(b, pos) != COMMA {
                while pos < end && (at(b, pos) == SPACE || at(b, pos) == TAB) {
                    pos += 1;
                }
                if quote == QUOTED {
                    if pos == end || at(b, pos) != QUOTE {
                        return false;
                    }
                    pos += 1;
                }
                if pos < end && at(b, pos) != COMMA {
                    return false;
                }
            } else if quote == QUOTED {
                return false;
            }
            if digits == 0 {
                // Nothing but spaces is a missing value; a lone sign or point is not a number, and the reference
                // path words that reject.
                if number_end != number_start {
                    return false;
                }
                set(into.values, f, f64::NAN);
            } else if digits > 15 || exponent > 22 || exponent < -22 {
                // Not exact in doubles this way: the correctly rounded value of the text, as Number() gives it.
                let text = unsafe { core::str::from_utf8_unchecked(b.get_unchecked(number_start..number_end)) };
                match text.parse::<f64>() {
                    Ok(value) if value.is_finite() => set(into.values, f, value),
                    _ => return false,
                }
            } else {
                let exact = mantissa as f64;
                let mut result = exact;
                if exponent > 0 {
                    result = exact * power_of_ten(exponent);
                } else if exponent < 0 {
                    result = exact / power_of_ten(-exponent);
                }
                set(into.values, f, if is_negative { -result } else { result });
            }
        } else if pos < end && at(b, pos) == QUOTE {
            // A quoted field ends at a quote that is not doubled, and must be followed by a comma or the end. On
            // output it keeps its quotes when it holds a quote, comma, CR or LF.
            quote = QUOTED;
            pos += 1;
            loop {
                if pos == end {
                    return false;
                }
                let c = at(b, pos);
                if c == QUOTE {
                    if pos + 1 < end && at(b, pos + 1) == QUOTE {
                        quote = REQUOTED;
                        pos += 2;
                        continue;
                    }
                    break;
                }
                if c == COMMA || c == NEWLINE || c == RETURN {
                    quote = REQUOTED;
                }
                pos += 1;
            }
            pos += 1;
            if pos < end && at(b, pos) != COMMA {
                return false;
            }
        } else {
            // A quote in an unquoted field is malformed; a lone CR would need quoting on output: both are rare.
            // Eight bytes at a time to the first comma, quote or CR, then byte by byte.
            while pos + 8 <= end {
                let word = unsafe { word_at(b, pos) };
                let hits = bytes_equal(word, COMMA) | bytes_equal(word, QUOTE) | bytes_equal(word, RETURN);
                if hits != 0 {
                    pos += (hits.trailing_zeros() / 8) as usize;
                    break;
                }
                pos += 8;
            }
            while pos < end && at(b, pos) != COMMA {
                let c = at(b, pos);
                if c == QUOTE || c == RETURN {
                    return false;
                }
                pos += 1;
            }
        }
        if role & PASSTHROUGH != 0 {
            set(into.starts, f, if quote == UNQUOTED { field_start } else { field_start + 1 } as i32);
            set(into.ends, f, if quote == UNQUOTED { pos } else { pos - 1 } as i32);
            set(into.quoting, f, quote);
        }
        f += 1;
        if pos == end {
            return f == field_count;
        }
        if f == field_count {
            return false;
        }
        pos += 1;
    }
}

/// The most fields split_record takes; wider records are read by scan_record alone.
const MAX_SPLIT_FIELDS: usize = 256;

/// The record b[start..end) read as scan_record reads it, for the common record: no quote or CR, exactly as
/// many fields as roles, every feature empty or a plain decimal. The commas are found first, 64 bytes at a time,
/// so that the fields are then read independently of each other rather than each after the one before. False
/// (with `into` partly written) leaves the record to scan_record, which decides.
#[inline(always)]
fn split_record(b: &[u8], start: usize, end: usize, into: &mut Fields) -> bool {
    let field_count = into.roles.len();
    if field_count > MAX_SPLIT_FIELDS {
        return false;
    }
    // ends_at[f]: where field f ends (its comma, or the record's end). Left uninitialised: zeroing 1 KiB per
    // record cost more than the splitting; only the slots written below are read.
    let mut slots = core::mem::MaybeUninit::<[u32; MAX_SPLIT_FIELDS]>::uninit();
    let ends_at = slots.as_mut_ptr() as *mut u32;
    let mut found = 0usize;
    let mut pos = start;
    while pos < end {
        if pos + 64 > b.len() {
            return false;
        }
        let [mut commas, quotes, returns] = unsafe { byte_masks(b.as_ptr().add(pos), [COMMA, QUOTE, RETURN]) };
        let specials = quotes | returns;
        let valid = if end - pos >= 64 { u64::MAX } else { (1u64 << (end - pos)) - 1 };
        if specials & valid != 0 {
            return false;
        }
        commas &= valid;
        while commas != 0 {
            if found + 1 == field_count {
                return false;
            }
            unsafe { *ends_at.add(found) = (pos + commas.trailing_zeros() as usize) as u32 };
            found += 1;
            commas &= commas - 1;
        }
        pos += 64;
    }
    if found + 1 != field_count {
        return false;
    }
    unsafe { *ends_at.add(found) = end as u32 };
    let mut field_start = start;
    for f in 0..field_count {
        let field_end = unsafe { *ends_at.add(f) } as usize;
        let role = unsafe { *into.roles.get_unchecked(f) };
        if role & FEATURE != 0 {
            match unsafe { decimal_between(b, field_start, field_end) } {
                Some(value) => set(into.values, f, value),
                None => return false,
            }
        }
        if role & PASSTHROUGH != 0 {
            set(into.starts, f, field_start as i32);
            set(into.ends, f, field_end as i32);
            set(into.quoting, f, UNQUOTED);
        }
        field_start = field_end + 1;
    }
    true
}

/// The feature b[start..end), a field with no quote, as scan_record reads it: NaN when empty, the value of a
/// plain decimal ([sign] digits [. digits], at most 8 bytes after the sign, at least a digit each side of a
/// point) from one word load; longer decimals through plain_decimal. None for anything else.
#[inline(always)]
unsafe fn decimal_between(b: &[u8], start: usize, end: usize) -> Option<f64> {
    if start == end {
        return Some(f64::NAN);
    }
    let sign = at(b, start);
    let is_negative = sign == b'-';
    let from = if is_negative || sign == b'+' { start + 1 } else { start };
    let length = end - from;
    if length == 0 || length > 8 || from + 8 > b.len() {
        return match if start + PLAIN_DECIMAL_REACH <= b.len() { plain_decimal(b, start, end) } else { None } {
            Some((value, next)) if next == end => Some(value),
            _ => None,
        };
    }
    let word = word_at(b, from);
    let inside = if length == 8 { u64::MAX } else { (1u64 << (8 * length)) - 1 };
    let points = bytes_equal(word, b'.') & inside;
    let others = non_digits(word) & inside;
    let mut mantissa_word = word;
    let mut digits = length;
    let mut scale = 0usize;
    if points != 0 {
        // One point, not first nor last: the bytes after it move down one place, leaving only digits.
        let point = (points.trailing_zeros() / 8) as usize;
        if others != points || points & (points - 1) != 0 || point == 0 || point + 1 == length {
            return None;
        }
        let below = (1u64 << (8 * point)) - 1;
        mantissa_word = (word & below) | ((word >> 8) & !below);
        digits = length - 1;
        scale = length - 1 - point;
    } else if others != 0 {
        return None;
    }
    let exact = digits_value(mantissa_word, digits) as f64;
    let result = if scale > 0 { exact / power_of_ten(scale as i32) } else { exact };
    Some(if is_negative { -result } else { result })
}

/// Where an accepted record's features go: per model input array, its region (row-major, `width` values per
/// record, float32 or float64), the fields feeding its columns, and its fill for a missing value.
#[repr(C)]
pub struct ArrayLayout {
    pub region: u32,
    pub width: u32,
    pub is_f64: u32,
    /// Offset of `width` u32 field indexes.
    pub fields: u32,
    /// NaN: no fill, a missing value makes the record the reference parser's.
    pub fill: f64,
}

/// Scans `count` records of the chunk bytes[0..length), record r being bytes[starts[r]..ends[r]). For each,
/// accepted[r] is 1 or 0, and an accepted record's features are stored at record r of every array in `arrays`
/// (`array_count` ArrayLayouts). With `pass_out` not 0, its pass-through fields are written there as CSV (each as
/// read, with its quotes when it needs them, comma-separated), pass_ends[r] being where record r's bytes end (a
/// rejected record adds none), and values, field_starts, field_ends and quoting are one record's scratch space.
/// Without, an accepted record's fields are left at r * field_count + f in values (features), field_starts,
/// field_ends and quoting (pass-through fields). Returns how many records were accepted.
#[no_mangle]
pub unsafe extern "C" fn scan_records(
    bytes: *const u8,
    length: u32,
    starts: *const i32,
    ends: *const i32,
    count: u32,
    roles: *const u8,
    field_count: u32,
    accepted: *mut u8,
    values: *mut f64,
    field_starts: *mut i32,
    field_ends: *mut i32,
    quoting: *mut u8,
    arrays: *const ArrayLayout,
    array_count: u32,
    pass_fields: *const u32,
    pass_count: u32,
    pass_out: *mut u8,
    pass_ends: *mut i32,
) -> u32 {
    let b = core::slice::from_raw_parts(bytes, length as usize);
    let count = count as usize;
    let fields = field_count as usize;
    let starts = core::slice::from_raw_parts(starts, count);
    let ends = core::slice::from_raw_parts(ends, count);
    let roles = core::slice::from_raw_parts(roles, fields);
    let accepted = core::slice::from_raw_parts_mut(accepted, count);
    let cells = if pass_out.is_null() { count * fields } else { fields };
    let values = core::slice::from_raw_parts_mut(values, cells);
    let field_starts = core::slice::from_raw_parts_mut(field_starts, cells);
    let field_ends = core::slice::from_raw_parts_mut(field_ends, cells);
    let quoting = core::slice::from_raw_parts_mut(quoting, cells);
    let arrays = core::slice::from_raw_parts(arrays, array_count as usize);
    let pass_fields = core::slice::from_raw_parts(pass_fields, pass_count as usize);
    let mut written = 0usize;
    let mut total = 0u32;
    for r in 0..count {
        // Without pass_out the caller reads every record's fields afterwards; with it, one record's worth of
        // scratch is reused (2.3 MB less written per 8,192-row chunk of the fixture, and it stays in cache).
        let at = if pass_out.is_null() { r * fields } else { 0 };
        let (start, end) = (starts[r] as usize, ends[r] as usize);
        let mut into = Fields {
            roles,
            values: &mut values[at..at + fields],
            starts: &mut field_starts[at..at + fields],
            ends: &mut field_ends[at..at + fields],
            quoting: &mut quoting[at..at + fields],
        };
        let mut ok = fields > 0 && start <= end && end <= b.len() && (split_record(b, start, end, &mut into) || scan_record(b, start, end, &mut into));
        if ok {
            ok = store_features(&into, arrays, r);
        }
        if ok && !pass_out.is_null() {
            for (p, &f) in pass_fields.iter().enumerate() {
                let f = f as usize;
                let (mut from, mut to) = (into.starts[f] as usize, into.ends[f] as usize);
                if into.quoting[f] == REQUOTED {
                    from -= 1;
                    to += 1;
                }
                if p > 0 {
                    *pass_out.add(written) = COMMA;
                    written += 1;
                }
                core::ptr::copy_nonoverlapping(b.as_ptr().add(from), pass_out.add(written), to - from);
                written += to - from;
            }
        }
        if !pass_out.is_null() {
            *pass_ends.add(r) = written as i32;
        }
        accepted[r] = ok as u8;
        total += ok as u32;
    }
    total
}

/// Stores record r's features into every array; false when a missing value has no fill or a value overflows float32.
#[inline(always)]
unsafe fn store_features(into: &Fields, arrays: &[ArrayLayout], r: usize) -> bool {
    for array in arrays {
        let width = array.width as usize;
        let sources = core::slice::from_raw_parts(array.fields as *const u32, width);
        for (k, &f) in sources.iter().enumerate() {
            let mut value = *into.values.get_unchecked(f as usize);
            if value.is_nan() {
                if array.fill.is_nan() {
                    return false;
                }
                value = array.fill;
            }
            let slot = r * width + k;
            if array.is_f64 != 0 {
                *(array.region as *mut f64).add(slot) = value;
            } else {
                // A double beyond float32's range would be stored as infinity: the reference path rejects it or
                // uses the fill.
                let narrow = value as f32;
                if narrow.is_infinite() {
                    return false;
                }
                *(array.region as *mut f32).add(slot) = narrow;
            }
        }
    }
    true
}

// ---- Output rows -------------------------------------------------------------------------------------------

/// JavaScript's Math.round for a non-negative finite value below 2^53: the nearest integer, ties up.
#[inline(always)]
fn round_half_up(x: f64) -> f64 {
    let floor = (x as u64) as f64;
    if x - floor >= 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

struct Out {
    at: *mut u8,
}

impl Out {
    #[inline(always)]
    unsafe fn byte(&mut self, value: u8) {
        *self.at = value;
        self.at = self.at.add(1);
    }
    unsafe fn text(&mut self, text: &[u8]) {
        for &c in text {
            self.byte(c);
        }
    }
}

/// "00" to "99": the decimal digits of 0 to 99, two bytes each.
const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

/// Half the gap between a float32 and the next one up (from a subnormal, 2^-150), as a double.
#[inline(always)]
fn half_ulp_f32(v: f64) -> f64 {
    let biased = (((v as f32).to_bits() >> 23) & 0xff) as u64;
    let exponent = if biased == 0 { 1 } else { biased };
    f64::from_bits((exponent + 1023 - 151) << 52)
}

/// A float32 as the shortest decimal (at most 9 significant digits) that reads back to the same float32:
/// ByteWriter.float32 in src/output/byte-writer.ts, step for step, so that both write the same bytes.
unsafe fn write_float32(out: &mut Out, value: f64) {
    if value.is_nan() {
        return out.text(b"NaN");
    }
    if value.is_infinite() {
        return out.text(if value > 0.0 { b"Infinity" } else { b"-Infinity" });
    }
    if value == 0.0 {
        return out.byte(b'0');
    }
    let mut v = value;
    if v < 0.0 {
        out.byte(b'-');
        v = -v;
    }
    // The decimal exponent: 10^exponent <= v < 10^(exponent + 1), from the table JavaScript compares against.
    let mut exponent = (((v.to_bits() >> 52) as i32 - 1023) as f64 * 0.301_029_995_663_981_2) as i32;
    if v < 1.0 && exponent >= 0 {
        exponent = -1;
    }
    while exponent > -POWER_OFFSET && v < power_of_ten(exponent) {
        exponent -= 1;
    }
    while exponent + 1 < 46 && v >= power_of_ten(exponent + 1) {
        exponent += 1;
    }
    let mut digits = 9;
    let mut mantissa = round_half_up(v / power_of_ten(exponent - 8));
    let target = v;
    // A trial of k digits below checks c * 10^scale, c the k-digit rounding of v. It can only succeed when
    // c * 10^scale is within half a float32 ulp of v, and then the 9-digit mantissa, in units of 10^(exponent - 8),
    // is within that half ulp plus one half (its own rounding) of c * 10^(9 - k). So a trial whose multiples of
    // 10^(9 - k) are all farther from the mantissa than `reach` would fail: it is skipped, and its division with
    // it. The margins (a ten-thousandth of the half ulp, and a whole unit) dwarf the doubles' rounding errors
    // (below 10^-6 units), so no trial that could succeed is skipped, and the bytes are those of the plain loop.
    // Checked once when written (2026-12-06): natively, against the loop without the skips, on all 2^32 float32 bit
    // patterns, no difference; test/unit/wasm-format.test.ts holds the result to ByteWriter.float32.
    let reach = half_ulp_f32(v) / power_of_ten(exponent - 8) * 1.0001 + 1.5;
    let nine = mantissa as u64;
    for k in 6..9 {
        let scale = exponent - k + 1;
        if !(-22..=22).contains(&scale) {
            break;
        }
        let multiple = [1000u64, 100, 10][(k - 6) as usize];
        let rest = nine % multiple;
        if (if rest < multiple - rest { rest } else { multiple - rest }) as f64 > reach {
            continue;
        }
        let candidate = round_half_up(if scale >= 0 { v / power_of_ten(scale) } else { v * power_of_ten(-scale) });
        if candidate >= power_of_ten(k) {
            continue;
        }
        let back = if scale >= 0 { candidate * power_of_ten(scale) } else { candidate / power_of_ten(-scale) };
        if (back as f32) as f64 == target {
            mantissa = candidate;
            digits = k;
            break;
        }
    }
    if mantissa >= 1e9 {
        mantissa = round_half_up(mantissa / 10.0);
        exponent += 1;
    }
    let mut m = mantissa as u32;
    while digits > 1 && m % 10 == 0 {
        m /= 10;
        digits -= 1;
    }
    let digits = digits as usize;
    // Two digits per division by 100, from a table, instead of one per division by 10.
    let mut digit_bytes = [0u8; 9];
    let mut i = digits;
    while i >= 2 {
        let pair = 2 * (m % 100) as usize;
        m /= 100;
        digit_bytes[i - 1] = DIGIT_PAIRS[pair + 1];
        digit_bytes[i - 2] = DIGIT_PAIRS[pair];
        i -= 2;
    }
    if i == 1 {
        digit_bytes[0] = b'0' + m as u8;
    }
    if (-6..9).contains(&exponent) {
        if exponent < 0 {
            out.byte(b'0');
            out.byte(b'.');
            for _ in 0..(-exponent - 1) {
                out.byte(b'0');
            }
            return out.text(&digit_bytes[..digits]);
        }
        let integer_digits = (exponent + 1) as usize;
        for i in 0..digits.max(integer_digits) {
            if i == integer_digits {
                out.byte(b'.');
            }
            out.byte(if i < digits { digit_bytes[i] } else { b'0' });
        }
        return;
    }
    out.byte(digit_bytes[0]);
    if digits > 1 {
        out.byte(b'.');
        out.text(&digit_bytes[1..digits]);
    }
    out.byte(b'e');
    out.byte(if exponent < 0 { b'-' } else { b'+' });
    let magnitude = exponent.unsigned_abs();
    if magnitude >= 10 {
        out.byte(b'0' + (magnitude / 10) as u8);
    }
    out.byte(b'0' + (magnitude % 10) as u8);
}

/// An int32 in decimal, a minus sign first when negative (as JavaScript's String() and BigInt's toString() write it).
unsafe fn write_int32(out: &mut Out, value: i32) {
    let mut magnitude = (value as i64).unsigned_abs();
    if value < 0 {
        out.byte(b'-');
    }
    let mut digits = [0u8; 10];
    let mut count = 0;
    loop {
        digits[9 - count] = b'0' + (magnitude % 10) as u8;
        count += 1;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    out.text(&digits[10 - count..]);
}

/// One output column: float32 values (kind 0), 0/1 flags in bytes (kind 1) or int32 values (kind 2: labels),
/// row r's at values[r * width + offset].
#[repr(C)]
pub struct ColumnLayout {
    pub kind: u32,
    pub values: u32,
    pub width: u32,
    pub offset: u32,
}

/// Writes `rows` CSV output rows to `out`: row r's pass-through bytes (passthrough[previous end..ends[r]]), then
/// every column, comma-separated, then a newline. Returns the bytes written.
#[no_mangle]
pub unsafe extern "C" fn format_rows(
    passthrough: *const u8,
    passthrough_ends: *const i32,
    has_passthrough: u32,
    rows: u32,
    columns: *const ColumnLayout,
    column_count: u32,
    out: *mut u8,
) -> u32 {
    let columns = core::slice::from_raw_parts(columns, column_count as usize);
    let mut writer = Out { at: out };
    let mut from = 0usize;
    let mut is_cached = [true; CACHED_COLUMNS];
    let mut tries = [0u32; CACHED_COLUMNS];
    let mut hits = [0u32; CACHED_COLUMNS];
    for r in 0..rows as usize {
        let to = *passthrough_ends.add(r) as usize;
        core::ptr::copy_nonoverlapping(passthrough.add(from), writer.at, to - from);
        writer.at = writer.at.add(to - from);
        from = to;
        for (c, column) in columns.iter().enumerate() {
            if c > 0 || has_passthrough != 0 {
                writer.byte(b',');
            }
            let slot = r * column.width as usize + column.offset as usize;
            if column.kind == 1 {
                writer.byte(if *(column.values as *const u8).add(slot) == 1 { b'1' } else { b'0' });
            } else if column.kind == 2 {
                write_int32(&mut writer, *(column.values as *const i32).add(slot));
            } else if c < CACHED_COLUMNS && is_cached[c] {
                let texts = &mut (*core::ptr::addr_of_mut!(FLOAT_TEXTS))[c];
                hits[c] += write_float32_cached(&mut writer, texts, *(column.values as *const u32).add(slot)) as u32;
                tries[c] += 1;
                if tries[c] == CACHE_TRIAL && hits[c] < CACHE_TRIAL / 4 {
                    is_cached[c] = false;
                }
            } else {
                write_float32(&mut writer, *(column.values as *const f32).add(slot) as f64);
            }
        }
        writer.byte(b'\n');
    }
    writer.at.offset_from(out) as u32
}

/// Columns (by position) with a cache of their texts, and each cache's slots.
const CACHED_COLUMNS: usize = 8;
const CACHE_SLOTS: usize = 4096;
/// Lookups of a column per call before its cache is judged: under a quarter hits, the call writes it uncached.
const CACHE_TRIAL: u32 = 4096;

/// A float32's text as write_float32 wrote it (len 0: an empty slot).
#[derive(Clone, Copy)]
struct CachedText {
    bits: u32,
    len: u8,
    text: [u8; 19],
}

/// Per column position, the texts of recent values, by a hash of their bits. A tree classifier's probabilities
/// and many tree regressors' outputs take a few thousand distinct values (the fixture classifier's p_error
/// 2,098 in 100k rows), and a text costs about 70 ns to find, a lookup a few. A text depends only on the value's
/// bits, so whatever a slot holds is right for any column and any call; the caches live as long as the module.
static mut FLOAT_TEXTS: [[CachedText; CACHE_SLOTS]; CACHED_COLUMNS] = [[CachedText { bits: 0, len: 0, text: [0; 19] }; CACHE_SLOTS]; CACHED_COLUMNS];

/// write_float32 of the float32 with these bits, from the cache when its slot holds them (true), else written and
/// kept there (false).
#[inline(always)]
unsafe fn write_float32_cached(out: &mut Out, texts: &mut [CachedText; CACHE_SLOTS], bits: u32) -> bool {
    let entry = &mut texts[(bits.wrapping_mul(0x9e37_79b1) >> 20) as usize];
    if entry.len != 0 && entry.bits == bits {
        core::ptr::copy_nonoverlapping(entry.text.as_ptr(), out.at, entry.len as usize);
        out.at = out.at.add(entry.len as usize);
        return true;
    }
    let start = out.at;
    write_float32(out, f32::from_bits(bits) as f64);
    let len = out.at.offset_from(start) as usize;
    if len <= entry.text.len() {
        entry.bits = bits;
        entry.len = len as u8;
        core::ptr::copy_nonoverlapping(start, entry.text.as_mut_ptr(), len);
    }
    false
}
