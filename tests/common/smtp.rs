//! A real SMTP server for tests (mailin-embedded) on 127.0.0.1 and a free port, keeping every
//! message it accepts. The app's sender talks to it over TCP with the full SMTP conversation.

use mailin_embedded::{response, Handler, Response, Server};
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The whole message as sent (headers and MIME body).
    pub data: String,
}

impl Received {
    /// A header's value (unfolded), by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.split("\r\n").find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

#[derive(Clone)]
struct Sink {
    inbox: Arc<Mutex<Vec<Received>>>,
    current: Option<Received>,
    /// Time taken to accept each message (to stretch a run of mail out for crash tests).
    delay: std::time::Duration,
}

impl Handler for Sink {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        response::OK
    }
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_string(),
            to: to.to_vec(),
            data: String::new(),
        });
        response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(c) = self.current.as_mut() {
            c.data.push_str(&String::from_utf8_lossy(buf));
        }
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        std::thread::sleep(self.delay);
        if let (Some(c), Ok(mut inbox)) = (self.current.take(), self.inbox.lock()) {
            inbox.push(c);
        }
        response::OK
    }
}

pub struct SmtpSink {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Starts the server on its own thread; it lives until the test process ends.
    pub fn start() -> SmtpSink {
        SmtpSink::start_with_delay(std::time::Duration::ZERO)
    }

    /// A server that takes `delay` to accept each message.
    pub fn start_with_delay(delay: std::time::Duration) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let handler = Sink {
            inbox: inbox.clone(),
            current: None,
            delay,
        };
        std::thread::spawn(move || {
            let mut server = Server::new(handler);
            server
                .with_name("smtp.test")
                .with_num_threads(2)
                .with_tcp_listener(listener);
            let _ = server.serve();
        });
        SmtpSink { port, inbox }
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().map(|i| i.clone()).unwrap_or_default()
    }
}
