package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// burstHelper runs in the child process of TestDurableAfterSIGKILL: it
// writes entries (and group memberships, and metadata) one Update at a time
// and prints the id of each write after Update returned, until killed.
func burstHelper(path string) {
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	err = s.Update(func(tx *Tx) error {
		if err := tx.AddRoot(&Entry{DN: "DC=lab,DC=test"}); err != nil {
			return err
		}
		for g := range 10 {
			if err := tx.Add(&Entry{DN: fmt.Sprintf("CN=g%d,DC=lab,DC=test", g)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		fmt.Println("setup:", err)
		os.Exit(2)
	}
	// Bounded, so that an orphaned child cannot write forever.
	stop := time.Now().Add(30 * time.Second)
	for i := 0; time.Now().Before(stop); i++ {
		err := s.Update(func(tx *Tx) error {
			dn := fmt.Sprintf("CN=w%d,DC=lab,DC=test", i)
			if err := tx.Add(&Entry{DN: dn, Attrs: []Attribute{
				{"sAMAccountName", vals(fmt.Sprintf("w%d", i))},
				{"servicePrincipalName", vals(fmt.Sprintf("HTTP/w%d", i), fmt.Sprintf("HOST/w%d", i))},
			}}); err != nil {
				return err
			}
			g, err := tx.Get(fmt.Sprintf("CN=g%d,DC=lab,DC=test", i%10))
			if err != nil {
				return err
			}
			g.Add("member", []byte(dn))
			if err := tx.Put(g); err != nil {
				return err
			}
			return tx.SetMeta("last", []byte(strconv.Itoa(i)))
		})
		if err != nil {
			fmt.Println("update:", err)
			os.Exit(2)
		}
		fmt.Println(i)
	}
}

// TestDurableAfterSIGKILL kills a writer mid-burst and checks that every
// write it acknowledged survived and that the file is consistent.
func TestDurableAfterSIGKILL(t *testing.T) {
	if os.Getenv("GMSA_STORE_HELPER") == "burst" {
		burstHelper(os.Getenv("GMSA_STORE_DB"))
		return
	}
	if testing.Short() {
		t.Skip("spawns a writer process")
	}
	path := filepath.Join(t.TempDir(), "lab.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDurableAfterSIGKILL$")
	cmd.Env = append(os.Environ(), "GMSA_STORE_HELPER=burst", "GMSA_STORE_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const target = 300
	acked := -1
	sc := bufio.NewScanner(out)
	deadline := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		n, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("child said %q", sc.Text())
		}
		if n != acked+1 {
			t.Fatalf("child acknowledged %d after %d", n, acked)
		}
		acked = n
		if acked == target {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
		}
	}
	cmd.Wait()
	if acked < target {
		t.Fatalf("child stopped after %d writes", acked+1)
	}
	t.Logf("%d writes acknowledged before SIGKILL", acked+1)

	s := openTest(t, path)
	err = s.View(func(tx *Tx) error {
		if err := tx.Check(); err != nil {
			return err
		}
		last, err := strconv.Atoi(string(tx.Meta("last")))
		if err != nil || last < acked {
			return fmt.Errorf("meta last = %q, acknowledged %d", tx.Meta("last"), acked)
		}
		for i := 0; i <= acked; i++ {
			dn := fmt.Sprintf("CN=w%d,DC=lab,DC=test", i)
			if _, err := tx.Get(dn); err != nil {
				return err
			}
			got, err := tx.Lookup("member", []byte(dn))
			if err != nil || len(got) != 1 || got[0] != fmt.Sprintf("CN=g%d,DC=lab,DC=test", i%10) {
				return fmt.Errorf("groups of %s: %q, %v", dn, got, err)
			}
		}
		if want := 11 + last + 1; tx.Count() != want {
			return fmt.Errorf("Count %d, want %d", tx.Count(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
