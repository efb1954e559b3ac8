package oauth

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
	"strings"
)

// OpenBrowser opens url in the user's browser without a shell: xdg-open
// on Linux and the BSDs, open on macOS, url.dll's FileProtocolHandler on
// Windows. It returns once the opener started.
func OpenBrowser(ctx context.Context, url string) error {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return errors.New("not an http(s) URL")
	}
	var argv []string
	switch runtime.GOOS {
	case "darwin":
		argv = []string{"open", url}
	case "windows":
		argv = []string{"rundll32", "url.dll,FileProtocolHandler", url}
	default:
		argv = []string{"xdg-open", url}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
