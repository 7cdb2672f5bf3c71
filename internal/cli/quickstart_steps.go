package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// The walkthrough's names (Microsoft's "Group Managed Service Accounts for
// Windows containers").
const (
	qsGroup     = "WebApp01Hosts"
	qsAccount   = "WebApp01"
	qsAdditonal = "LogAgentSvc"
	qsHost      = "CONTAINERHOST01"
)

func (q *quickstart) walkthrough() {
	dom := q.info.Domain
	type rootKey struct {
		ID     string `json:"id"`
		ForNew bool   `json:"usable_for_new_gmsas"`
		From   string `json:"usable_for_new_gmsas_from"`
	}
	var keys struct {
		Keys []rootKey `json:"keys"`
	}
	q.do("Check for a KDS root key", "Get-KdsRootKey", "gmsa kds root-key list", func() (string, error) {
		if err := q.gmsa(&keys, q.withAdmin("kds", "root-key", "list")...); err != nil {
			return "", err
		}
		if len(keys.Keys) == 0 {
			return "", errors.New("the lab has no KDS root key")
		}
		return fmt.Sprintf("%d root key(s); %s is usable for new gMSAs", len(keys.Keys), keys.Keys[0].ID), nil
	})
	var added struct {
		ID string `json:"id"`
	}
	q.do("Add a KDS root key effective 10 hours ago", "Add-KdsRootKey -EffectiveTime ((Get-Date).AddHours(-10))",
		"gmsa kds root-key add --effective-time -10h", func() (string, error) {
			if err := q.gmsa(&added, q.withAdmin("kds", "root-key", "add", "--effective-time", "-10h")...); err != nil {
				return "", err
			}
			return "root key " + added.ID, nil
		})
	q.do("Create the security group of the hosts", "New-ADGroup -Name "+qsGroup+" -SamAccountName "+qsGroup+" -GroupScope DomainLocal",
		"gmsa group create "+qsGroup+" --scope domainlocal", func() (string, error) {
			return "", q.gmsa(nil, q.withAdmin("group", "create", qsGroup, "--scope", "domainlocal")...)
		})
	spns := []string{"host/" + qsAccount, "host/" + qsAccount + "." + dom, "http/mysite." + dom}
	var show struct {
		PasswordID struct {
			RootKeyID string `json:"root_key_id"`
		} `json:"password_id"`
	}
	q.do("Create the gMSA "+qsAccount,
		"New-ADServiceAccount -Name "+qsAccount+" -DnsHostName "+qsAccount+"."+dom+" -ServicePrincipalNames "+strings.Join(spns, ", ")+" -PrincipalsAllowedToRetrieveManagedPassword "+qsGroup,
		"gmsa account create "+qsAccount+" --dns-host-name "+qsAccount+"."+dom+" --spn "+strings.Join(spns, " --spn ")+" --allowed-principals "+qsGroup,
		func() (string, error) {
			args := []string{"account", "create", qsAccount, "--dns-host-name", qsAccount + "." + dom, "--allowed-principals", qsGroup}
			for _, s := range spns {
				args = append(args, "--spn", s)
			}
			if err := q.gmsa(nil, q.withAdmin(args...)...); err != nil {
				return "", err
			}
			if err := q.gmsa(&show, q.withAdmin("account", "show", qsAccount)...); err != nil {
				return "", err
			}
			which := "the root key just added"
			if !strings.EqualFold(show.PasswordID.RootKeyID, added.ID) {
				which = "the lab's provisioning root key — the one just added is still within its 10 h 05 min wait: a DC derives new gMSA passwords only from root keys effective at least 10 h 05 min ago"
			}
			return fmt.Sprintf("its password derives from root key %s (%s)", show.PasswordID.RootKeyID, which), nil
		})
	q.do("Create the gMSA "+qsAdditonal, "New-ADServiceAccount -Name "+qsAdditonal+" -DnsHostName "+qsAdditonal+"."+dom+" -PrincipalsAllowedToRetrieveManagedPassword "+qsGroup,
		"gmsa account create "+qsAdditonal+" --dns-host-name "+qsAdditonal+"."+dom+" --allowed-principals "+qsGroup, func() (string, error) {
			return "", q.gmsa(nil, q.withAdmin("account", "create", qsAdditonal, "--dns-host-name", qsAdditonal+"."+dom, "--allowed-principals", qsGroup)...)
		})
	keytab := filepath.Join(q.dir, "host.keytab")
	var comp struct {
		SID  string `json:"sid"`
		KVNO uint32 `json:"kvno"`
	}
	q.do("Join a container host to the domain", "Add-Computer -DomainName "+dom,
		"gmsa computer create "+qsHost+" --keytab host.keytab", func() (string, error) {
			args := []string{"computer", "create", qsHost, "--keytab", keytab, "--server", q.info.LDAPSURL(), "--ca-file", q.info.CAFile,
				"--user", "Administrator@" + dom, "--bind-password-file", q.admin[len(q.admin)-1]}
			if err := q.gmsa(&comp, args...); err != nil {
				return "", err
			}
			return fmt.Sprintf("%s$ (%s), keytab %s with kvno %d", qsHost, comp.SID, keytab, comp.KVNO), nil
		})
	q.do("Allow the host to use the gMSAs", "Add-ADGroupMember -Identity "+qsGroup+" -Members "+qsHost+"$",
		"gmsa group add-member "+qsGroup+" "+qsHost, func() (string, error) {
			return "", q.gmsa(nil, q.withAdmin("group", "add-member", qsGroup, qsHost)...)
		})
	var test struct {
		Result   bool   `json:"result"`
		Identity string `json:"identity"`
		Reason   string `json:"reason"`
	}
	q.do("Check that the host may use "+qsAccount, "Test-ADServiceAccount "+qsAccount+" (on the host)",
		"gmsa account test "+qsAccount+" --keytab host.keytab", func() (string, error) {
			err := q.gmsa(&test, "account", "test", qsAccount, "--keytab", keytab, "--server", q.info.LDAPURL(), "--domain", dom)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%v: %s may retrieve the password of %s$ (over sealed LDAP with its keytab)", test.Result, test.Identity, qsAccount), nil
		})
	specs := filepath.Join(q.dir, "credentialspecs")
	var spec struct {
		Path string `json:"path"`
	}
	q.do("Create the credential spec", "New-CredentialSpec -AccountName "+qsAccount+" -AdditionalAccounts "+qsAdditonal,
		"gmsa credspec new "+qsAccount+" --additional-accounts "+qsAdditonal, func() (string, error) {
			if err := q.gmsa(&spec, q.withAdmin("credspec", "new", qsAccount, "--additional-accounts", qsAdditonal, "--credspecs-dir", specs)...); err != nil {
				return "", err
			}
			return spec.Path, nil
		})
	var list struct {
		Specs []struct {
			Name    string `json:"name"`
			Account string `json:"account"`
		} `json:"specs"`
	}
	q.do("List the credential specs", "Get-CredentialSpec", "gmsa credspec list", func() (string, error) {
		if err := q.gmsa(&list, "credspec", "list", "--credspecs-dir", specs); err != nil {
			return "", err
		}
		var rows []string
		for _, s := range list.Specs {
			rows = append(rows, s.Name+" → "+s.Account)
		}
		if len(rows) == 0 {
			return "", errors.New("no credential spec listed")
		}
		return strings.Join(rows, "\n"), nil
	})
}
