# A mail as a list delivers it: Message-Id, In-Reply-To, References, To/Cc, X-Mailer, List-Id, Received.
# expect: same
. "$CORPUS/lib.sh"
new_up; printf 'a\nb\n' > f.txt; pin
echo d >> f.txt; commit x
{ printf 'Received: from mail.example.invalid by mx.example.invalid; Mon, 22 Jan 2024 10:00:01 +0000\n'
  printf 'From: Ada Example <ada@example.invalid>\nTo: openstack-discuss@example.invalid\nCc: Cy Committer <cy@example.invalid>,\n  Other <other@example.invalid>\n'
  printf 'Subject: [PATCH] Add d\nDate: Mon, 22 Jan 2024 10:00:00 +0000\nMessage-Id: <20240122100000.1-ada@example.invalid>\n'
  printf 'In-Reply-To: <cover.1705917600@example.invalid>\nReferences: <cover.1705917600@example.invalid>\nX-Mailer: git-send-email 2.43.0\nList-Id: <openstack-discuss.example.invalid>\n'
  printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset="us-ascii"\nContent-Transfer-Encoding: 7bit\n\nAdd d to the list.\n---\n'
  work_diff; } > "$P/0001-list.patch"
