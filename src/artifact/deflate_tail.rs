//! Exact bytes near the end of a deflated entry, without inflating
//! everything before them.
//!
//! A library repaired by patchelf (every auditwheel wheel that vendors
//! libraries) keeps its dynamic section and string tables at the very end
//! of a file of tens of MiB. Deflate has no index, but it is a chain of
//! blocks, and a block with its own Huffman tables ("dynamic") can be
//! decoded from its first bit given the 32 KiB of output before it, which
//! back-references copy from. So:
//!
//! - find such a block near the part wanted, by checking bit positions for
//!   a header whose code tables are complete prefix codes (random bits
//!   almost never are), and inflate from there to the end of the entry;
//! - do it twice, with the unknown 32 KiB replaced by two different
//!   patterns that together encode each byte's position. A byte that comes
//!   out the same both times depends only on the data read, so it is exact;
//!   one that differs was copied from before the start, and the pair says
//!   from where;
//! - such a byte is looked up in the part before, decoded the same way from
//!   an earlier block up to the first one (closed by an empty final block
//!   of our own), and so on back until every byte asked for is known.
//!
//! The decode to the end must end exactly where the entry's data ends,
//! which places every byte: the last one is the entry's last. When no block
//! is found, or more would be inflated than reading the entry whole, the
//! caller reads it front to back: this only ever saves work.

use std::io;

use flate2::{Decompress, FlushDecompress, Status};

/// Deflate's window: how far back a block may copy from.
const WINDOW: usize = 32 * 1024;
/// Most candidate bit positions checked for one block start.
const SEARCH_BITS: u64 = 8 << 20;
/// Most header-like patterns that fail to decode before giving up: crafted
/// data could hold many, each decoded until it fails.
const MAX_REFUSED: usize = 64;
/// How many segments back a copied run is read by recursion; further back,
/// byte by byte, so crafted data cannot exhaust the stack.
const MAX_DEPTH: usize = 32;
/// Most bytes held decoded (both decodes); past it the entry is read front
/// to back with flat memory.
const MAX_INFLATED: u64 = 32 << 20;

/// Reads `len` bytes at an offset of an entry's data as it is stored
/// (compressed, for a deflated one).
pub type ReadAt = Box<dyn Fn(u64, usize) -> io::Result<Vec<u8>> + Send>;

/// The end of one deflated entry, decoded backwards on demand.
pub struct DeflateTail {
    read: ReadAt,
    compressed_len: u64,
    size: u64,
    /// The compressed data from `data_at` to its end.
    data: Vec<u8>,
    data_at: u64,
    /// Decoded parts, the last first: each ends where the one before starts.
    segments: Vec<Segment>,
    /// Bytes inflated so far, counting both decodes.
    inflated: u64,
    /// Block starts that did not decode (a header-like pattern in data).
    refused: Vec<u64>,
}

struct Segment {
    /// Bit offset of its first block in the compressed data.
    bit: u64,
    /// Offset of its first byte in the entry.
    start: u64,
    /// The decodes with each stand-in for the window before `start`.
    first: Vec<u8>,
    second: Vec<u8>,
}

enum Byte {
    Known(u8),
    /// Copied from this offset, before the segment.
    Copied(u64),
}

impl Segment {
    fn byte(&self, offset: u64) -> Option<Byte> {
        let i = (offset - self.start) as usize;
        let (a, b) = (self.first[i], self.second[i]);
        if a == b {
            return Some(Byte::Known(a));
        }
        let position = window_position(a, b)?;
        (self.start + position as u64)
            .checked_sub(WINDOW as u64)
            .map(Byte::Copied)
    }

    fn end(&self) -> u64 {
        self.start + self.first.len() as u64
    }
}

static STAND_INS: std::sync::LazyLock<(Vec<u8>, Vec<u8>)> =
    std::sync::LazyLock::new(|| (0..WINDOW).map(stand_ins).unzip());

/// The stand-ins for window position `p` (0 is the oldest byte, 32 KiB
/// before the start): its high bits in the first, its low bits in the
/// second, which always differs from the first by its top bit.
fn stand_ins(p: usize) -> (u8, u8) {
    let high = (p >> 7) as u8;
    let low = (p & 0x7f) as u8 | if high < 0x80 { 0x80 } else { 0 };
    (high, low)
}

fn window_position(high: u8, low: u8) -> Option<usize> {
    ((low & 0x80 != 0) == (high < 0x80))
        .then_some((usize::from(high) << 7) | usize::from(low & 0x7f))
}

impl DeflateTail {
    pub fn new(read: ReadAt, compressed_len: u64, size: u64) -> DeflateTail {
        DeflateTail {
            read,
            compressed_len,
            size,
            data: Vec::new(),
            data_at: compressed_len,
            segments: Vec::new(),
            inflated: 0,
            refused: Vec::new(),
        }
    }

    /// Where the decoded part starts.
    pub fn decoded_from(&self) -> Option<u64> {
        self.segments.last().map(|s| s.start)
    }

    /// The entry's bytes `[offset, offset + len)`, exactly; `None` when the
    /// stream cannot be entered near them, or reaching them would inflate
    /// more than reading the entry whole.
    pub fn read(&mut self, offset: u64, len: usize) -> io::Result<Option<Vec<u8>>> {
        let Some(end) = offset
            .checked_add(len as u64)
            .filter(|&end| end <= self.size)
        else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(len);
        Ok(self.read_into(offset, end, &mut out, 0)?.then_some(out))
    }

    /// Appends the bytes `[from, to)` to `out`; false when they cannot be
    /// had. Runs both decodes agree on are taken whole; a run copied from
    /// consecutive bytes before its segment is read there, in turn (each
    /// turn one segment earlier: past a depth, byte by byte).
    fn read_into(
        &mut self,
        from: u64,
        to: u64,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> io::Result<bool> {
        if depth > MAX_DEPTH {
            for at in from..to {
                match self.resolve(at)? {
                    Some(value) => out.push(value),
                    None => return Ok(false),
                }
            }
            return Ok(true);
        }
        if !self.cover(from)? {
            return Ok(false);
        }
        let mut at = from;
        while at < to {
            let Some(segment) = self.segments.iter().find(|s| s.start <= at && at < s.end()) else {
                return Ok(false);
            };
            let i = (at - segment.start) as usize;
            let stop = (to.min(segment.end()) - segment.start) as usize;
            let (first, second) = (&segment.first[i..stop], &segment.second[i..stop]);
            let known = first.iter().zip(second).take_while(|(a, b)| a == b).count();
            if known > 0 {
                out.extend_from_slice(&first[..known]);
                at += known as u64;
                continue;
            }
            let Some(Byte::Copied(source)) = segment.byte(at) else {
                return Ok(false);
            };
            let run = (1..stop - i)
                .take_while(|&k| {
                    matches!(segment.byte(at + k as u64),
                        Some(Byte::Copied(next)) if next == source + k as u64)
                })
                .count()
                + 1;
            // the source lies before the segment: each turn reads earlier
            if !self.read_into(source, source + run as u64, out, depth + 1)? {
                return Ok(false);
            }
            at += run as u64;
        }
        Ok(true)
    }

    /// The bytes `[offset, offset + len)` when what is decoded already
    /// gives them, without decoding more.
    pub fn read_decoded(&self, offset: u64, len: usize) -> Option<Vec<u8>> {
        (offset..offset.checked_add(len as u64)?)
            .map(|mut at| loop {
                let segment = self
                    .segments
                    .iter()
                    .find(|s| s.start <= at && at < s.end())?;
                match segment.byte(at)? {
                    Byte::Known(value) => return Some(value),
                    Byte::Copied(source) if source < at => at = source,
                    Byte::Copied(_) => return None,
                }
            })
            .collect()
    }

    /// One byte: found in the segment holding it, or followed back through
    /// the copies it came from.
    fn resolve(&mut self, mut at: u64) -> io::Result<Option<u8>> {
        loop {
            if !self.cover(at)? {
                return Ok(None);
            }
            let Some(segment) = self.segments.iter().find(|s| s.start <= at && at < s.end()) else {
                return Ok(None);
            };
            match segment.byte(at) {
                Some(Byte::Known(value)) => return Ok(Some(value)),
                Some(Byte::Copied(source)) if source < at => at = source,
                _ => return Ok(None),
            }
        }
    }

    /// Decodes backwards until `at` is in a segment; false when that would
    /// cost more than it saves.
    fn cover(&mut self, at: u64) -> io::Result<bool> {
        if self.segments.is_empty() && !self.decode_last()? {
            return Ok(false);
        }
        while self.segments.last().is_some_and(|s| s.start > at) {
            if self.over_budget() || !self.decode_before(at)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Both decodes of half the entry cost as much as inflating it whole;
    /// past a bound, memory would grow with the file.
    fn over_budget(&self) -> bool {
        self.inflated > (self.size / 2).min(MAX_INFLATED)
    }

    /// The first segment: from a block start near the end to the end. What
    /// lies before is reached by `decode_before`, placed by this one's ratio
    /// (the end of a library — tables, names, symbols — may compress far
    /// better or worse than its code).
    fn decode_last(&mut self) -> io::Result<bool> {
        let mut back = 32 * 1024;
        // each try searches only the bits before those searched already
        let mut searched_from = self.compressed_len * 8;
        while back <= self.compressed_len / 2 {
            let from = (self.compressed_len - back) * 8;
            if let Some(segment) = self.find_segment(from..searched_from, None)? {
                self.segments.push(segment);
                return Ok(true);
            }
            searched_from = from;
            back *= 4;
        }
        Ok(false)
    }

    /// One more segment before the earliest, aiming to start at or before
    /// `at`; it ends exactly where that one starts.
    fn decode_before(&mut self, at: u64) -> io::Result<bool> {
        let Some(earliest) = self.segments.last() else {
            return Ok(false);
        };
        let (end_bit, earliest_start) = (earliest.bit, earliest.start);
        // output bits per compressed bit so far, to place the search
        let decoded: u64 = self.segments.iter().map(|s| s.first.len() as u64).sum();
        let compressed_bits = self.compressed_len * 8 - end_bit;
        let wanted = (earliest_start - at + 4096) as f64;
        let mut back = (wanted * compressed_bits as f64 / decoded.max(1) as f64 * 1.25) as u64;
        let mut searched_from = end_bit;
        loop {
            let from = end_bit.saturating_sub(back.max(8 * 1024));
            if let Some(segment) = self.find_segment(from..searched_from, Some(end_bit))? {
                self.segments.push(segment);
                return Ok(true);
            }
            if from == 0 || self.over_budget() {
                return Ok(false);
            }
            searched_from = from;
            back *= 2;
        }
    }

    /// The first block start among the bits `search` that decodes to
    /// `end_bit` (or the end of the stream) as a segment.
    fn find_segment(
        &mut self,
        search: std::ops::Range<u64>,
        end_bit: Option<u64>,
    ) -> io::Result<Option<Segment>> {
        let from = search.start;
        self.load_from(from / 8)?;
        let limit = end_bit.unwrap_or(self.compressed_len * 8);
        let base = self.data_at * 8;
        let end = (limit
            .min(search.end)
            .min(from.saturating_add(SEARCH_BITS))
            .max(from)
            - base) as usize;
        // odd starts would need a literal in the realigning prefix
        let mut at = (from.next_multiple_of(2) - base) as usize;
        while let Some(found) = next_header(&self.data, at, end) {
            let bit = base + found as u64;
            if !self.refused.contains(&bit) {
                if let Some(segment) = self.decode_segment(bit, end_bit) {
                    return Ok(Some(segment));
                }
                self.refused.push(bit);
                if self.refused.len() > MAX_REFUSED {
                    return Ok(None);
                }
            }
            at = found + 2;
        }
        Ok(None)
    }

    fn decode_segment(&mut self, bit: u64, end_bit: Option<u64>) -> Option<Segment> {
        let relative = (bit - self.data_at * 8) as usize;
        let end = end_bit.map(|end| (end - self.data_at * 8) as usize);
        let limit = match end_bit {
            Some(_) => self.segments.last()?.start,
            None => self.size,
        };
        let input = realigned(&self.data, relative, end);
        let first = inflate(&input, &STAND_INS.0, limit)?;
        self.inflated += first.len() as u64;
        let second = inflate(&input, &STAND_INS.1, limit)?;
        self.inflated += second.len() as u64;
        if second.len() != first.len() {
            return None;
        }
        Some(Segment {
            bit,
            start: limit - first.len() as u64,
            first,
            second,
        })
    }

    /// Makes the compressed data from `offset` on available.
    fn load_from(&mut self, offset: u64) -> io::Result<()> {
        if offset < self.data_at {
            let mut earlier = (self.read)(offset, (self.data_at - offset) as usize)?;
            earlier.extend_from_slice(&self.data);
            self.data = earlier;
            self.data_at = offset;
        }
        Ok(())
    }
}

/// Raw inflate of `input` to the end of its stream with `window` as the
/// 32 KiB before it; `None` on invalid data, more output than `limit`, or
/// a stream that ends before its input does.
fn inflate(input: &[u8], window: &[u8], limit: u64) -> Option<Vec<u8>> {
    let mut inflater = Decompress::new(false);
    inflater.set_dictionary(window).ok()?;
    let mut out = Vec::with_capacity((input.len() * 4).min(limit as usize));
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(64 * 1024));
        }
        let (consumed, produced) = (inflater.total_in() as usize, out.len());
        let status = inflater
            .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Finish)
            .ok()?;
        if out.len() as u64 > limit {
            return None;
        }
        match status {
            Status::StreamEnd => break,
            // no progress: the input ends mid-stream
            _ if inflater.total_in() as usize == consumed && out.len() == produced => return None,
            _ => {}
        }
    }
    // the last byte may hold nothing but padding
    if input.len() - inflater.total_in() as usize > 1 {
        return None;
    }
    // kept while the entry is read: no room to spare
    out.shrink_to_fit();
    Some(out)
}

/// The bits `[bit, end)` of `data` as a stream zlib can decode: zlib reads
/// whole bytes, and a stored block later on aligns to the original byte
/// boundaries, so the bits are not shifted. Empty fixed-code blocks (10
/// bits each) come first, ending `bit % 8` bits into a byte whose high bits
/// are then the original's; `bit` is even, so that many always fit. A
/// segment that stops at `end` gets an empty final block of its own.
fn realigned(data: &[u8], bit: usize, end: Option<usize>) -> Vec<u8> {
    let (byte, shift) = (bit / 8, bit % 8);
    let mut out = BitWriter::default();
    for _ in 0..shift / 2 {
        out.bits(0b010, 3); // not final, fixed codes
        out.code(0, 7); // end of block
    }
    if shift > 0 {
        let low = (1u8 << shift) - 1;
        if let Some(last) = out.bytes.last_mut() {
            *last = (*last & low) | (data[byte] & !low);
        }
    } else {
        out.bytes.push(data[byte]);
    }
    let end_bit = end.unwrap_or(data.len() * 8);
    out.bytes
        .extend_from_slice(&data[byte + 1..end_bit.div_ceil(8)]);
    out.len = out.len - shift + (end_bit - byte * 8);
    if end.is_some() {
        if out.len % 8 != 0 {
            if let Some(last) = out.bytes.last_mut() {
                *last &= (1u8 << (out.len % 8)) - 1;
            }
        }
        out.bits(0b011, 3); // final, fixed codes
        out.code(0, 7); // end of block
    }
    out.bytes
}

/// Bits written least significant first; Huffman codes most significant
/// bit first, as deflate packs them.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    len: usize,
}

impl BitWriter {
    fn bits(&mut self, value: u32, count: usize) {
        for i in 0..count {
            if self.len % 8 == 0 {
                self.bytes.push(0);
            }
            if let Some(last) = self.bytes.last_mut() {
                *last |= (((value >> i) & 1) as u8) << (self.len % 8);
            }
            self.len += 1;
        }
    }

    fn code(&mut self, code: u32, len: usize) {
        for i in (0..len).rev() {
            self.bits((code >> i) & 1, 1);
        }
    }
}

/// Bits read least significant first, as deflate packs them.
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    /// The next `count` bits (at most 25); `None` past the end.
    fn take(&mut self, count: usize) -> Option<u32> {
        let (byte, shift) = (self.at / 8, self.at % 8);
        let bytes = self.data.get(byte..byte + (shift + count).div_ceil(8))?;
        let word = bytes
            .iter()
            .rev()
            .fold(0u32, |word, &b| (word << 8) | u32::from(b));
        self.at += count;
        Some((word >> shift) & ((1 << count) - 1))
    }
}

/// Canonical Huffman code from code lengths, decoded a bit at a time.
struct Code {
    /// Codes of each length, 0..=15.
    count: [u16; 16],
    /// Symbols ordered by code.
    symbols: Vec<u16>,
}

impl Code {
    /// `None` when the lengths over-subscribe the code space or leave it
    /// incomplete (zlib refuses both, except a lone one-bit code).
    fn new(lengths: &[u8]) -> Option<Code> {
        let mut count = [0u16; 16];
        for &len in lengths {
            count[usize::from(len)] += 1;
        }
        let mut left: i32 = 1;
        for &n in &count[1..] {
            left = left * 2 - i32::from(n);
            if left < 0 {
                return None;
            }
        }
        let longest = (1..16).rev().find(|&len| count[len] > 0).unwrap_or(0);
        if left > 0 && longest != 1 {
            return None;
        }
        let mut offsets = [0u16; 16];
        for len in 1..15 {
            offsets[len + 1] = offsets[len] + count[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (symbol, &len) in lengths.iter().enumerate() {
            if len != 0 {
                symbols[usize::from(offsets[usize::from(len)])] = symbol as u16;
                offsets[usize::from(len)] += 1;
            }
        }
        Some(Code { count, symbols })
    }

    fn decode(&self, bits: &mut Bits) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.take(1)? as i32;
            let count = i32::from(self.count[len]);
            if code - count < first {
                return self.symbols.get((index + code - first) as usize).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

/// The first even bit position in `[at, end)` where a dynamic-Huffman
/// block header could start: the block type, symbol counts in range, and
/// complete code-length, literal and distance codes with an end-of-block
/// symbol — what zlib checks before decoding. It runs at every other bit
/// of the data searched, so the first tests are made on 32 positions at
/// once, bit by bit of one load: a type and symbol counts that fit leave
/// about one position in five.
fn next_header(data: &[u8], at: usize, end: usize) -> Option<usize> {
    // the last three bytes cannot hold a header and its block
    let end = end.min(data.len().saturating_sub(3) * 8);
    let mut block = at / 8 * 8;
    while block < end {
        let window = load_window(data, block / 8)?;
        // bit k after each of the 32 positions
        let bit = |k: u32| (window >> k) as u32;
        let type_dynamic = !bit(1) & bit(2);
        // a count of 30 or 31 has its four high bits set
        let literals_fit = !(bit(4) & bit(5) & bit(6) & bit(7));
        let distances_fit = !(bit(9) & bit(10) & bit(11) & bit(12));
        let mut candidates = type_dynamic & literals_fit & distances_fit & 0x5555_5555;
        if block < at {
            candidates &= !0u32 << (at - block);
        }
        if end - block < 32 {
            candidates &= (1u32 << (end - block)) - 1;
        }
        while candidates != 0 {
            let position = candidates.trailing_zeros() as usize;
            if complete_length_code(window >> position)
                && check_dynamic_header(&mut Bits {
                    data,
                    at: block + position + 3,
                })
                .is_some()
            {
                return Some(block + position);
            }
            candidates &= candidates - 1;
        }
        block += 32;
    }
    None
}

/// The 16 bytes from `byte` (zeros past the end); `None` when fewer than
/// four remain.
fn load_window(data: &[u8], byte: usize) -> Option<u128> {
    if let Some(&window) = data.get(byte..).and_then(|rest| rest.first_chunk::<16>()) {
        return Some(u128::from_le_bytes(window));
    }
    let rest = data.get(byte..).filter(|rest| rest.len() >= 4)?;
    let mut window = [0u8; 16];
    window[..rest.len()].copy_from_slice(rest);
    Some(u128::from_le_bytes(window))
}

/// Whether the code-length code's lengths (3 bits each, after the 17 bits
/// of the block's header) take exactly the whole code space, 2^-len each:
/// random bits rarely do, and overshoot within a few. Four lengths at a
/// time, from a table.
fn complete_length_code(window: u128) -> bool {
    let mut left = ((window >> 13) & 15) as usize + 4;
    let mut lengths = window >> 17;
    let mut taken = 0;
    while left > 0 {
        let count = left.min(4);
        let chunk = (lengths as usize) & ((1 << (3 * count)) - 1);
        taken += u32::from(SHARES_OF_FOUR[chunk]);
        if taken > 128 {
            return false;
        }
        lengths >>= 12;
        left -= count;
    }
    taken == 128
}

/// The code space four 3-bit code lengths take, in 128ths (a length of 0
/// takes none).
static SHARES_OF_FOUR: [u16; 4096] = {
    const SHARE: [u16; 8] = [0, 64, 32, 16, 8, 4, 2, 1];
    let mut table = [0u16; 4096];
    let mut i = 0;
    while i < 4096 {
        table[i] = SHARE[i & 7] + SHARE[(i >> 3) & 7] + SHARE[(i >> 6) & 7] + SHARE[(i >> 9) & 7];
        i += 1;
    }
    table
};

fn check_dynamic_header(bits: &mut Bits) -> Option<()> {
    const ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    let literals = bits.take(5)? as usize + 257;
    let distances = bits.take(5)? as usize + 1;
    let code_lengths = bits.take(4)? as usize + 4;
    if literals > 286 || distances > 30 {
        return None;
    }
    let mut lengths = [0u8; 19];
    for &symbol in &ORDER[..code_lengths] {
        lengths[symbol] = bits.take(3)? as u8;
    }
    let length_code = Code::new(&lengths)?;
    let mut lengths = vec![0u8; literals + distances];
    let mut at = 0;
    while at < lengths.len() {
        let symbol = length_code.decode(bits)?;
        let (value, repeat) = match symbol {
            0..=15 => (symbol as u8, 1),
            16 => (
                *lengths.get(at.checked_sub(1)?)?,
                3 + bits.take(2)? as usize,
            ),
            17 => (0, 3 + bits.take(3)? as usize),
            _ => (0, 11 + bits.take(7)? as usize),
        };
        if at + repeat > lengths.len() {
            return None;
        }
        lengths[at..at + repeat].fill(value);
        at += repeat;
    }
    if lengths[256] == 0 {
        return None;
    }
    Code::new(&lengths[..literals])?;
    let distance_lengths = &lengths[literals..];
    if distance_lengths.iter().any(|&len| len != 0) {
        Code::new(distance_lengths)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::DeflateEncoder;
    use flate2::Compression;
    use std::io::Write;

    /// Repeats that each copy the one before, so every copy chains back
    /// to the start of the data: the worst case.
    fn chained_repeats(len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len);
        let mut state = 0x1234_5678u32;
        while out.len() < len {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let word = [
                "libc.so.6",
                "GLIBC_2.17",
                "symbol_",
                "\0\0\0\0\0\0\0",
                "0123",
            ];
            out.extend_from_slice(word[(state >> 16) as usize % word.len()].as_bytes());
            out.push((state >> 8) as u8);
        }
        out.truncate(len);
        out
    }

    /// Real machine code and tables: the C library the tests run with.
    fn binary() -> Vec<u8> {
        std::fs::read("/lib/x86_64-linux-gnu/libc.so.6").expect("glibc's libc.so.6")
    }

    fn deflate(data: &[u8], level: u32) -> Vec<u8> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(level));
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn tail_of(compressed: Vec<u8>, size: usize) -> DeflateTail {
        let len = compressed.len() as u64;
        let read: ReadAt =
            Box::new(move |at, n| Ok(compressed[at as usize..at as usize + n].to_vec()));
        DeflateTail::new(read, len, size as u64)
    }

    #[test]
    fn bytes_near_the_end_are_exact_and_inflate_little() {
        let data = binary();
        assert!(data.len() > 1 << 20, "a library of some size");
        // zlib's default level and its best, as zip tools write them
        for level in [6, 9] {
            let mut tail = tail_of(deflate(&data, level), data.len());
            // the section headers; patchelf puts the dynamic section there
            let at = data.len() - 600;
            assert_eq!(
                tail.read(at as u64, 600).unwrap().as_deref(),
                Some(&data[at..])
            );
            // both decodes of what the copies chain back through, which
            // is less than the whole
            assert!(
                tail.inflated < data.len() as u64,
                "level {level}: {}",
                tail.inflated
            );
            let at = data.len() - 100_000;
            assert_eq!(
                tail.read(at as u64, 5000).unwrap().as_deref(),
                Some(&data[at..at + 5000]),
                "level {level}"
            );
        }
    }

    #[test]
    fn a_long_read_is_exact_whether_copies_are_read_as_runs_or_byte_by_byte() {
        let data = binary();
        let compressed = deflate(&data, 6);
        let (at, len) = (data.len() - 120_000, 100_000);
        let mut tail = tail_of(compressed.clone(), data.len());
        assert_eq!(
            tail.read(at as u64, len).unwrap().as_deref(),
            Some(&data[at..at + len])
        );
        assert!(tail.segments.len() > 1, "copies reach an earlier segment");
        // past the recursion's depth, each byte is followed on its own
        let mut tail = tail_of(compressed, data.len());
        let mut out = Vec::new();
        let end = (at + len) as u64;
        assert!(tail
            .read_into(at as u64, end, &mut out, MAX_DEPTH + 1)
            .unwrap());
        assert_eq!(out, &data[at..at + len]);
    }

    #[test]
    fn copies_that_chain_far_back_are_exact_or_given_up() {
        // a fast level copies more and chains further back
        let chained = chained_repeats(2 << 20);
        for (data, level) in [(binary(), 2), (chained.clone(), 6), (chained, 9)] {
            let mut tail = tail_of(deflate(&data, level), data.len());
            let at = data.len() - 1000;
            if let Some(bytes) = tail.read(at as u64, 1000).unwrap() {
                assert_eq!(bytes, &data[at..], "level {level}");
            }
            // what one segment past the budget adds
            assert!(
                tail.inflated < data.len() as u64 * 3 / 2,
                "level {level}: {}",
                tail.inflated
            );
        }
    }

    #[test]
    fn fixed_code_streams_are_left_to_a_whole_read() {
        // zlib-rs's fastest level writes fixed-code blocks only, which
        // cannot be told from noise
        let data = binary();
        let mut tail = tail_of(deflate(&data, 1), data.len());
        assert_eq!(tail.read(data.len() as u64 - 100, 100).unwrap(), None);
    }

    #[test]
    fn a_stream_of_another_length_is_refused() {
        let data = binary();
        let mut tail = tail_of(deflate(&data, 6), 1000);
        assert_eq!(tail.read(900, 100).unwrap(), None);
    }

    #[test]
    fn data_that_is_not_deflate_finds_no_block() {
        let noise: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut tail = tail_of(noise, 10 << 20);
        assert_eq!(tail.read((10 << 20) - 100, 100).unwrap(), None);
    }

    #[test]
    fn stand_ins_name_every_window_position() {
        for p in 0..WINDOW {
            let (high, low) = stand_ins(p);
            assert_ne!(high, low);
            assert_eq!(window_position(high, low), Some(p));
        }
    }
}
