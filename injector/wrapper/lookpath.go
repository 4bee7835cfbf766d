package wrapper

import "strings"

// defaultPath is what the container runtime sets when the image has no PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// searchPath is the PATH a program is looked up in: the new environment's,
// since a value file may set PATH too.
func searchPath(env []string) string {
	if p, ok := lookupOK(env, "PATH"); ok {
		return p
	}
	return defaultPath
}

// lookPath finds file as exec.LookPath does, but in env's PATH rather than
// this process's: a name with a slash is used as is; otherwise the first
// executable regular file named file in a PATH directory wins, an empty entry
// meaning the working directory, as the container runtime does.
func lookPath(file string, env []string) (string, bool) {
	if strings.Contains(file, "/") {
		return file, true
	}
	for _, dir := range splitList(searchPath(env)) {
		if dir == "" {
			dir = "."
		}
		path := dir + "/" + file
		if executable(path) {
			return path, true
		}
	}
	return "", false
}

// splitList splits a PATH as filepath.SplitList does: an empty PATH has no
// directories at all, not one empty one.
func splitList(path string) []string {
	if path == "" {
		return nil
	}
	return strings.Split(path, ":")
}

func executable(path string) bool {
	mode, err := fileMode(path, true)
	return err == nil && isRegular(mode) && mode&0o111 != 0
}
