//! A cloneable `Read + Seek` over a shared file handle using positional reads,
//! so several threads can inflate entries of one zip without a lock.
//!
//! Small reads go through a read-ahead window: parsing a central directory
//! is thousands of tiny reads (a 46-byte header, a name, an extra field),
//! and one system call each would cost more than all the parsing.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

/// Bytes fetched at once for small reads while listing the central directory.
const WINDOW: usize = 64 * 1024;
/// The window of a clone, which reads one entry: a local header and, for
/// most files of a function, all of their compressed data.
const ENTRY_WINDOW: usize = 8 * 1024;

pub struct PositionedFile {
    file: Arc<File>,
    len: u64,
    pos: u64,
    window_start: u64,
    window: Vec<u8>,
    window_size: usize,
}

impl Clone for PositionedFile {
    /// A clone shares the handle but not the window: it will read elsewhere.
    fn clone(&self) -> Self {
        PositionedFile {
            file: Arc::clone(&self.file),
            len: self.len,
            pos: self.pos,
            window_start: 0,
            window: Vec::new(),
            window_size: ENTRY_WINDOW,
        }
    }
}

impl PositionedFile {
    pub fn new(file: File, len: u64) -> Self {
        PositionedFile {
            file: Arc::new(file),
            len,
            pos: 0,
            window_start: 0,
            window: Vec::new(),
            window_size: WINDOW,
        }
    }

    /// Reads exactly `buf.len()` bytes at `offset`.
    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let mut done = 0;
        while done < buf.len() {
            let n = read_at(&self.file, &mut buf[done..], offset + done as u64)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }

    fn in_window(&self, pos: u64) -> bool {
        pos >= self.window_start && pos < self.window_start + self.window.len() as u64
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

impl Read for PositionedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        if !self.in_window(self.pos) {
            if buf.len() >= self.window_size {
                let n = read_at(&self.file, buf, self.pos)?;
                self.pos += n as u64;
                return Ok(n);
            }
            let want = self.window_size.min((self.len - self.pos) as usize);
            self.window.resize(want, 0);
            let n = read_at(&self.file, &mut self.window, self.pos)?;
            self.window.truncate(n);
            self.window_start = self.pos;
            if n == 0 {
                return Ok(0);
            }
        }
        let offset = (self.pos - self.window_start) as usize;
        let n = buf.len().min(self.window.len() - offset);
        buf[..n].copy_from_slice(&self.window[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PositionedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        match target {
            Some(n) => {
                self.pos = n;
                Ok(n)
            }
            None => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn small_and_large_reads_and_seeks_return_the_file_bytes() {
        let mut file = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        file.write_all(&data).unwrap();
        let mut reader = PositionedFile::new(file, data.len() as u64);
        let mut small = [0u8; 7];
        reader.seek(SeekFrom::Start(65_530)).unwrap();
        reader.read_exact(&mut small).unwrap();
        assert_eq!(small, data[65_530..65_537]);
        let mut large = vec![0u8; 100_000];
        reader.seek(SeekFrom::End(-100_000)).unwrap();
        reader.read_exact(&mut large).unwrap();
        assert_eq!(large, data[100_000..]);
        reader.seek(SeekFrom::Start(10)).unwrap();
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, data[10..]);
        let mut clone = reader.clone();
        clone.seek(SeekFrom::Start(3)).unwrap();
        clone.read_exact(&mut small).unwrap();
        assert_eq!(small, data[3..10]);
    }
}
