//! The fast CSV path's record scanner. Each record of a chunk is read once, left to right, guided by a role per
//! field (feature, pass-through, both, neither): a feature's digits become a double while the field is scanned,
//! a pass-through field is noted as a byte range. A record it is not sure of is marked as not accepted, and the
//! TypeScript side hands it whole to the reference parser (csv-parse). The rules are those documented in
//! src/parse/fast-csv.ts; test/unit/fast-csv.test.ts checks them against csv-parse.
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

/// 10^0 .. 10^22 are exact doubles: m * 10^e and m / 10^e, with m < 2^53, are then correctly rounded (Clinger).
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22,
];

extern "C" {
    static __heap_base: u8;
}

/// Where the caller may start laying out its arrays.
#[no_mangle]
pub extern "C" fn heap_base() -> u32 {
    unsafe { &__heap_base as *const u8 as u32 }
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
        if role & FEATURE != 0 {
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
                    result = exact * unsafe { *POWERS_OF_TEN.get_unchecked(exponent as usize) };
                } else if exponent < 0 {
                    result = exact / unsafe { *POWERS_OF_TEN.get_unchecked((-exponent) as usize) };
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
/// accepted[r] is 1 or 0. An accepted record's fields are at r * field_count + f in values (features),
/// field_starts, field_ends and quoting (pass-through fields); its features are stored at record r of every
/// array in `arrays` (`array_count` ArrayLayouts); and with `pass_out` not 0 its pass-through fields are written
/// there as CSV (each as read, with its quotes when it needs them, comma-separated), pass_ends[r] being where
/// record r's bytes end (a rejected record adds none). Returns how many records were accepted.
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
    let values = core::slice::from_raw_parts_mut(values, count * fields);
    let field_starts = core::slice::from_raw_parts_mut(field_starts, count * fields);
    let field_ends = core::slice::from_raw_parts_mut(field_ends, count * fields);
    let quoting = core::slice::from_raw_parts_mut(quoting, count * fields);
    let arrays = core::slice::from_raw_parts(arrays, array_count as usize);
    let pass_fields = core::slice::from_raw_parts(pass_fields, pass_count as usize);
    let mut written = 0usize;
    let mut total = 0u32;
    for r in 0..count {
        let at = r * fields;
        let (start, end) = (starts[r] as usize, ends[r] as usize);
        let mut into = Fields {
            roles,
            values: &mut values[at..at + fields],
            starts: &mut field_starts[at..at + fields],
            ends: &mut field_ends[at..at + fields],
            quoting: &mut quoting[at..at + fields],
        };
        let mut ok = fields > 0 && start <= end && end <= b.len() && scan_record(b, start, end, &mut into);
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

/// Stores record r's features into every array; false when a missing value has no fill.
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
                *(array.region as *mut f32).add(slot) = value as f32;
            }
        }
    }
    true
}
