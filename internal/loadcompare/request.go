package loadcompare

// BrowserGET returns the GET for path that Chromium 131 on Linux sends for a
// same-origin page (dest "document") or subresource (e.g. dest "style"),
// with the given Accept and, if not empty, Cookie. Accept-Encoding is left
// out so that every server sends the identity representation and the
// comparison is of the servers, not of compressors.
func BrowserGET(path, accept, dest, cookie string) []byte {
	mode := "no-cors"
	if dest == "document" {
		mode = "navigate"
	}
	req := "GET " + path + " HTTP/1.1\r\n" +
		"Host: 127.0.0.1:8080\r\n" +
		"Connection: keep-alive\r\n" +
		"sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n" +
		"sec-ch-ua-mobile: ?0\r\n" +
		"sec-ch-ua-platform: \"Linux\"\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
		"Accept: " + accept + "\r\n" +
		"Sec-Fetch-Site: same-origin\r\n" +
		"Sec-Fetch-Mode: " + mode + "\r\n" +
		"Sec-Fetch-Dest: " + dest + "\r\n" +
		"Referer: http://127.0.0.1:8080/\r\n" +
		"Accept-Language: en-US,en;q=0.9\r\n"
	if cookie != "" {
		req += "Cookie: " + cookie + "\r\n"
	}
	return []byte(req + "\r\n")
}
