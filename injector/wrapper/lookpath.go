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

// valuePATH names a PATH that came from Key Vault. Such a PATH is a secret
// value like any other: kvenv-exec's stderr lands in the container log and,
// with FallbackToLogsOnError, in the pod's status, so messages name where
// the PATH came from and never show it or a directory of it.
const valuePATH = "the PATH kvenv set from the pod's kvenv.io/env.PATH annotation"

// notFound explains a program that is in no directory of env's PATH. The
// container's own PATH is shown: it comes from the pod spec or the image,
// which are no secret.
func notFound(program string, env []string, pathIsAValue bool) string {
	if pathIsAValue {
		return quote(program) + ": not found in " + valuePATH +
			" (a Key Vault value, so not shown here); make that secret's value list the program's directory," +
			" or give the program's full path in the container's command"
	}
	return quote(program) + ": not found in PATH=" + searchPath(env) +
		" (the container's PATH); give the program's full path in the container's command, or add its directory to the container's or image's PATH"
}

// showProgram is how messages name the program found as prog for the name
// the container's command gave: the path it was found at, unless a
// directory of a secret PATH is part of it.
func showProgram(name, prog string, pathIsAValue bool) string {
	if pathIsAValue && prog != name {
		return quote(name) + " (found through " + valuePATH + ")"
	}
	return quote(prog)
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
